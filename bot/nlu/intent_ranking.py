"""Setting a message's intent after the classifier, keeping its ranking visible.

The components that correct DIET's guess (UnclearTextDetector, LegTopicGuard) put
their choice first and keep the classifier's other intents after it, so the parse
result shows what was changed; ``nlu_fallback`` is never left lower in the ranking.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message

FALLBACK_INTENT = "nlu_fallback"


def ranking_of(message: Message) -> List[Dict[str, Any]]:
    return list(message.get(INTENT_RANKING_KEY) or [])


def put_first(message: Message, chosen: Dict[str, Any]) -> None:
    """Make ``chosen`` the message's intent, first in its ranking, the others after it."""
    rest = [r for r in ranking_of(message)
            if r.get("name") not in (chosen.get("name"), FALLBACK_INTENT)]
    message.set(INTENT, chosen, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [chosen, *rest], add_to_output=True)

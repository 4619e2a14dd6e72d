"""A learned opinion on the causes, added to the rules' evidence (issue 14).

The rules of ``bot/knowledge/causes.yml`` read figures and phrases; a runner's story
says much more than any phrase list holds ("my legs were DEAD the whole way" the day
after a 20-miler and a speed session). This classifier reads everything the runner has
written in the conversation and gives each cause a probability; the engine adds
``weight`` x probability to the cause's score (``learned_opinion:`` in causes.yml). It
only adds evidence: a cause whose ``requires_any`` does not hold (statins without a
statin) still scores nothing, and ``lead_requires_any`` still decides which cause may
come first.

Training data: whole runner stories with the cause a sports physician would rank first
(``expected_first``, weight 1) and the causes also reasonable (a smaller weight), in
``bot/knowledge/story_examples.yml``. The tuning and blind story sets are held out
(``tests/unit/test_cause_opinion.py`` checks that no story is shared).

The model (TF-IDF of word and character n-grams, a logistic regression from
scikit-learn, installed with Rasa) takes a few seconds to fit, so it is fitted once per
version of the examples and kept as plain JSON (no pickle) in ``build/cause_opinion/``
(``make train`` builds it; a process that finds none fits it on first use and keeps it).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, List, Mapping, Sequence, Tuple

import yaml

from bot.triage.tfidf_classifier import TfidfClassifier

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = ROOT / "build" / "cause_opinion"
# Only the end of a long conversation is read (what the runner said last matters as
# much, and the cost stays bounded).
MAX_WORDS_CHARS = 4000
_WORD = {"analyzer": "word", "ngram_range": (1, 2), "min_df": 1, "sublinear_tf": True,
         "lowercase": True, "token_pattern": r"(?u)\b[a-z0-9]+\b"}
_CHAR = {"analyzer": "char_wb", "ngram_range": (3, 5), "min_df": 2, "sublinear_tf": True,
         "lowercase": True, "max_features": 40000}


def story_text(story: Mapping[str, Any]) -> str:
    """What a runner says in a story: the opening and each answer, as a conversation."""
    answers = story.get("answers") or {}
    parts = [str(story.get("opening") or "")]
    parts += [str(value) for value in answers.values() if value is not None]
    return join_messages(parts)


def join_messages(messages: Iterable[str]) -> str:
    return " . ".join(m.strip() for m in messages if m and m.strip())[-MAX_WORDS_CHARS:]


def load_examples(path: Path, also_weight: float) -> List[Tuple[str, str, float]]:
    """(text, cause id, weight) from a stories file."""
    stories = yaml.safe_load(path.read_text(encoding="utf-8"))["stories"]
    examples: List[Tuple[str, str, float]] = []
    for story in stories:
        text = story_text(story)
        examples.append((text, str(story["expected_first"]), 1.0))
        for cause in story.get("also_reasonable") or []:
            examples.append((text, str(cause), also_weight))
    return examples


class CauseOpinion(TfidfClassifier):
    """The fitted model (bot/triage/tfidf_classifier.py): a probability per cause."""

    WORD = _WORD
    CHAR = _CHAR

    @classmethod
    def train(cls, examples: Sequence[Tuple[str, str, float]], c: float = 2.0
              ) -> "CauseOpinion":
        texts = [text for text, _, _ in examples]
        causes = [cause for _, cause, _ in examples]
        weights = [weight for _, _, weight in examples]
        return cls.fit(texts, causes, c=c, max_iter=3000, weights=weights)


def _fingerprint(path: Path, also_weight: float) -> str:
    digest = hashlib.sha256(path.read_bytes())
    digest.update(json.dumps([also_weight, _WORD, _CHAR], sort_keys=True,
                             default=str).encode())
    # the code that fits and stores it: this module and the shared classifier
    from bot.triage import tfidf_classifier

    for source in (Path(__file__), Path(tfidf_classifier.__file__)):
        digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


@lru_cache(maxsize=4)
def fitted(path: Path, also_weight: float, cache_dir: Path = CACHE_DIR) -> CauseOpinion:
    """The model for these examples: from the JSON kept for their version, else fitted
    now (and kept, when the cache directory can be written)."""
    cached = cache_dir / f"{_fingerprint(path, also_weight)}.json"
    if cached.is_file():
        try:
            return CauseOpinion.from_json(cached.read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError) as exc:
            logger.warning("Refitting the cause opinion: %s unreadable (%s).", cached, exc)
    model = CauseOpinion.train(load_examples(path, also_weight))
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(model.to_json(), encoding="utf-8")
        partial.replace(cached)
    except OSError as exc:
        logger.info("Cause opinion not kept on disk (%s); fitted in memory.", exc)
    return model


def build(path: Path, also_weight: float) -> Path:
    """Fit (or find) the model for these examples and say where it is kept."""
    fitted(path, also_weight)
    return CACHE_DIR / f"{_fingerprint(path, also_weight)}.json"


def main() -> int:
    """``python -m bot.triage.cause_opinion``: fit the model causes.yml asks for (make
    train runs it, so no server fits it on a runner's turn)."""
    import time

    from bot.triage.engine import learned_opinion_settings

    settings = learned_opinion_settings()
    if settings is None:
        print("causes.yml has no learned_opinion: nothing to build")
        return 0
    started = time.monotonic()
    where = build(settings.examples, settings.also_reasonable_weight)
    print(f"cause opinion: {where.relative_to(ROOT)} "
          f"({time.monotonic() - started:.1f} s, from {settings.examples.relative_to(ROOT)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

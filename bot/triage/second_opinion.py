"""A learned second opinion on warning signs, which may only ask.

The rules of :mod:`bot.triage.red_flags` decide. This classifier, trained on the
paraphrase corpora of ``tests/safety/dev/`` (thousands of ways runners describe each
clinical group, and ordinary messages), reads a message the rules found nothing in
and may suggest a group; the bot then asks the runner one yes/no question ("What you
describe can be a sign of X. Is that what's happening?"), and escalates only on a
yes, at the level the rules give the group's signs. It never lowers or silences
what the rules found, and it never escalates on its own.

The model is a TF-IDF (word and character n-grams) logistic regression from
scikit-learn (installed with Rasa). It is stored as plain JSON (the vocabulary,
weights and settings), not a pickle, and rebuilt on load.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Sequence, Tuple

import yaml

from bot import strict_yaml
from bot.triage.tfidf_classifier import TfidfClassifier

ORDINARY = "none"
_WORDS = re.compile(r"[^\W\d_]{2,}")  # words of two letters or more
ROOT = Path(__file__).resolve().parents[2]
# every development round (paraphrases_, paraphrases2_ ... paraphrases7_); never the blind set
DEFAULT_CORPORA = ("tests/safety/dev/paraphrases*_*.yml",)
_WORD = {"analyzer": "word", "ngram_range": (1, 2), "min_df": 2, "sublinear_tf": True,
         "lowercase": True, "token_pattern": r"(?u)\b[a-z0-9]+\b"}
_CHAR = {"analyzer": "char_wb", "ngram_range": (3, 5), "min_df": 2, "sublinear_tf": True,
         "lowercase": True, "max_features": 40000}


def load_examples(patterns: Sequence[str] = DEFAULT_CORPORA, root: Path = ROOT
                  ) -> List[Tuple[str, str]]:
    """(text, group) pairs; ordinary messages are the group ``none``."""
    examples: List[Tuple[str, str]] = []
    for pattern in patterns:
        for path in sorted(root.glob(pattern)):
            for message in yaml.safe_load(path.read_text(encoding="utf-8"))["messages"]:
                group = ORDINARY if message["level"] == "none" else message["group"]
                examples.append((str(message["text"]), group))
    return examples


class SecondOpinion(TfidfClassifier):
    """The fitted model (bot/triage/tfidf_classifier.py) and what it may suggest."""

    WORD = _WORD
    CHAR = _CHAR

    @classmethod
    def train(cls, examples: Iterable[Tuple[str, str]], seed: int = 42) -> "SecondOpinion":
        texts, groups = zip(*examples, strict=True)
        return cls.fit(texts, groups, c=8.0, max_iter=2000, seed=seed)

    def suggest(self, text: str, min_probability: float) -> Tuple[str, float] | None:
        """The most likely warning-sign group, when likelier than ``min_probability``
        and than an ordinary message; None otherwise."""
        probabilities = self.probabilities(text)
        group, best = max(((g, p) for g, p in probabilities.items() if g != ORDINARY),
                          key=lambda item: item[1])
        if best >= min_probability and best > probabilities.get(ORDINARY, 0.0):
            return group, best
        return None

    def group_to_ask(self, text: str, groups: Mapping[str, Mapping[str, Any]],
                     min_probability: float, min_words: int) -> Tuple[str, float] | None:
        """The group the bot should ask about, or None: the message has ``min_words``
        words or more, and the suggestion clears both ``min_probability`` and the
        group's own ``min_probability`` (``second_opinion:`` in red_flags.yml)."""
        if len(_WORDS.findall(text[:2000])) < min_words:
            return None
        suggestion = self.suggest(text, min_probability)
        if suggestion is None or suggestion[0] not in groups:
            return None
        if suggestion[1] < float(groups[suggestion[0]].get("min_probability", 0.0)):
            return None
        return suggestion


def group_signs(vocabulary_path: Path | None = None) -> Dict[str, Dict[str, Any]]:
    """For each group: the signs a confirmed "yes" stands for, and how to name it."""
    path = vocabulary_path or ROOT / "bot" / "knowledge" / "red_flags.yml"
    data = strict_yaml.load(path.read_text(encoding="utf-8"))
    return dict(data.get("second_opinion") or {})

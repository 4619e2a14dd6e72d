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
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Sequence, Tuple

import yaml

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


@dataclass
class CauseOpinion:
    """The fitted model: two vectorisers and one classifier."""

    word: Any
    char: Any
    classifier: Any

    @classmethod
    def train(cls, examples: Sequence[Tuple[str, str, float]], c: float = 2.0
              ) -> "CauseOpinion":
        from scipy.sparse import hstack
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        texts = [text for text, _, _ in examples]
        causes = [cause for _, cause, _ in examples]
        weights = [weight for _, _, weight in examples]
        word, char = TfidfVectorizer(**_WORD), TfidfVectorizer(**_CHAR)
        features = hstack([word.fit_transform(texts), char.fit_transform(texts)]).tocsr()
        classifier = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
        classifier.fit(features, causes, sample_weight=weights)
        return cls(word, char, classifier)

    def probabilities(self, text: str) -> Dict[str, float]:
        from scipy.sparse import hstack

        features = hstack([self.word.transform([text]), self.char.transform([text])]).tocsr()
        values = self.classifier.predict_proba(features)[0]
        return {str(cause): float(p)
                for cause, p in zip(self.classifier.classes_, values, strict=True)}

    # -- plain JSON, no pickle ----------------------------------------------
    def to_json(self) -> str:
        def vectoriser(v: Any) -> Dict[str, Any]:
            return {"vocabulary": {k: int(i) for k, i in v.vocabulary_.items()},
                    "idf": [float(x) for x in v.idf_]}

        return json.dumps({
            "word": vectoriser(self.word), "char": vectoriser(self.char),
            "classes": [str(c) for c in self.classifier.classes_],
            "coef": self.classifier.coef_.tolist(),
            "intercept": self.classifier.intercept_.tolist(),
        })

    @classmethod
    def from_json(cls, text: str) -> "CauseOpinion":
        import numpy as np
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        data = json.loads(text)

        def vectoriser(settings: Mapping[str, Any], stored: Mapping[str, Any]) -> Any:
            kept = {k: v for k, v in settings.items() if k not in ("min_df", "max_features")}
            v = TfidfVectorizer(vocabulary=stored["vocabulary"], **kept)
            v.fit(["x"])  # sets up the analyser; idf_ is replaced below
            v.idf_ = np.asarray(stored["idf"], dtype=float)
            return v

        classifier = LogisticRegression()
        classifier.classes_ = np.asarray(data["classes"])
        classifier.coef_ = np.asarray(data["coef"], dtype=float)
        classifier.intercept_ = np.asarray(data["intercept"], dtype=float)
        return cls(vectoriser(_WORD, data["word"]), vectoriser(_CHAR, data["char"]), classifier)


def _fingerprint(path: Path, also_weight: float) -> str:
    digest = hashlib.sha256(path.read_bytes())
    digest.update(json.dumps([also_weight, _WORD, _CHAR], sort_keys=True,
                             default=str).encode())
    digest.update(Path(__file__).read_bytes())
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

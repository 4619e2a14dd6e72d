"""The text classifier both learned opinions use: TF-IDF of word and character n-grams
and a logistic regression (scikit-learn, installed with Rasa), kept as plain JSON (the
vocabularies, weights and settings), not a pickle, and rebuilt on load.

Used by the warning-sign second opinion (:mod:`bot.triage.second_opinion`) and the
learned cause opinion (:mod:`bot.triage.cause_opinion`); each sets its own vectoriser
settings (``WORD``, ``CHAR``) and regularisation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, ClassVar, Dict, Mapping, Sequence, TypeVar

T = TypeVar("T", bound="TfidfClassifier")
# Settings that only shape fitting; a stored vocabulary replaces them.
_FIT_ONLY = ("min_df", "max_features")


@dataclass
class TfidfClassifier:
    """The fitted model: two vectorisers and one classifier."""

    word: Any
    char: Any
    classifier: Any

    WORD: ClassVar[Mapping[str, Any]]
    CHAR: ClassVar[Mapping[str, Any]]

    @classmethod
    def fit(cls: type[T], texts: Sequence[str], labels: Sequence[str], *, c: float,
            max_iter: int, weights: Sequence[float] | None = None,
            seed: int | None = None) -> T:
        from scipy.sparse import hstack
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        word, char = TfidfVectorizer(**cls.WORD), TfidfVectorizer(**cls.CHAR)
        features = hstack([word.fit_transform(texts), char.fit_transform(texts)]).tocsr()
        classifier = LogisticRegression(C=c, max_iter=max_iter,
                                        class_weight="balanced", random_state=seed)
        classifier.fit(features, list(labels), sample_weight=weights)
        return cls(word, char, classifier)

    def probabilities(self, text: str) -> Dict[str, float]:
        from scipy.sparse import hstack

        features = hstack([self.word.transform([text]), self.char.transform([text])]).tocsr()
        values = self.classifier.predict_proba(features)[0]
        return {str(label): float(p)
                for label, p in zip(self.classifier.classes_, values, strict=True)}

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
    def from_json(cls: type[T], text: str) -> T:
        import numpy as np
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        data = json.loads(text)

        def vectoriser(settings: Mapping[str, Any], stored: Mapping[str, Any]) -> Any:
            kept = {k: v for k, v in settings.items() if k not in _FIT_ONLY}
            v = TfidfVectorizer(vocabulary=stored["vocabulary"], **kept)
            v.fit(["x"])  # sets up the analyser; idf_ is replaced below
            v.idf_ = np.asarray(stored["idf"], dtype=float)
            return v

        classifier = LogisticRegression()
        classifier.classes_ = np.asarray(data["classes"])
        classifier.coef_ = np.asarray(data["coef"], dtype=float)
        classifier.intercept_ = np.asarray(data["intercept"], dtype=float)
        return cls(vectoriser(cls.WORD, data["word"]), vectoriser(cls.CHAR, data["char"]),
                   classifier)

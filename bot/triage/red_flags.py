"""Deterministic red-flag detection over a spaCy ``Doc``.

All medical vocabulary and the escalation rules live in
``bot/knowledge/red_flags.yml`` (reviewable without Python); this module only
applies them:

1. The message is *normalised* into a ``Doc`` of its words (each mapped back to
   its characters in the message): lower-cased *before* tokenising (so "I CAN'T"
   reads like "i can't"), contractions spelled out through spaCy's ``NORM``
   ("can't" / "cant" / "cannot" -> "can not"), known misspellings corrected
   ("swolen" -> "swollen"), unknown words within one typo of a sign word
   corrected ("tinglng" -> "tingling"), and lower-case lemmas from the
   pipeline's lookup table (the pipeline's own lemmas are case-sensitive).
   White space is never a word: spaces, tabs, U+00A0, zero-width spaces are skipped; a
   run with a line break becomes one line-break token, a clause break that ends
   sentences and the scope of negations, hedges and questions. The words of a
   sign may still run across a single line break ("chest\\npain", a wrapped
   line) - not across a blank line, and never through a wildcard.
2. spaCy ``PhraseMatcher`` (``LOWER`` and ``LEMMA``) and ``Matcher`` patterns
   built once from the vocabulary find sign mentions and cue words
   (negation, hedges, questions, ordinary phrases, contexts).
3. Each mention gets a status - ``negated`` (NegEx-style scope with
   terminators), ``hedged``, ``question`` or ``affirmed``.
4. The level comes from the level rules applied to the affirmed signs only.

Nothing is read from disk at import time; :func:`load_vocabulary` is cached.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc

__all__ = [
    "DEFAULT_VOCABULARY_PATH",
    "LEVELS",
    "STATUSES",
    "LevelRule",
    "Matchers",
    "RedFlagDetector",
    "RedFlagFindings",
    "SignMention",
    "SignSpec",
    "Vocabulary",
    "VocabularyError",
    "build_matchers",
    "describe_signs",
    "escalation_level",
    "level_rank",
    "load_vocabulary",
]

LEVELS: tuple[str, ...] = ("none", "see_professional", "urgent", "emergency")
STATUSES: tuple[str, ...] = ("affirmed", "negated", "hedged", "question")
Status = Literal["affirmed", "negated", "hedged", "question"]

DEFAULT_VOCABULARY_PATH = Path(__file__).resolve().parents[1] / "knowledge" / "red_flags.yml"

# Tokens that always end a sentence (for questions and scopes).
_SENTENCE_END = re.compile(r"^[.!?;…]+$")
_SIGN_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_MAX_WILDCARD = 10
_REPEATS = re.compile(r"(.)\1{2,}")
# What counts as one line break ("\r\n" is one); white space without one is a space.
_LINE_BREAK = re.compile("\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# Invisible characters that would glue words together ("pain\x00", "chest\u200bpain"):
# control characters that are not white space, zero-width spaces and joiners.
_INVISIBLE = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u200b\u2060\ufeff]")


def level_rank(level: str) -> int:
    """Rank of a level in :data:`LEVELS` (``none`` = 0 ... ``emergency`` = 3)."""
    try:
        return LEVELS.index(level)
    except ValueError:
        raise ValueError(f"unknown escalation level {level!r}; expected one of {LEVELS}") from None


# --------------------------------------------------------------------------- data


class VocabularyError(ValueError):
    """The red-flag vocabulary file is malformed."""


@dataclass(frozen=True)
class SignSpec:
    name: str
    label: str
    description: str
    modifier: bool
    phrases: tuple[str, ...]
    lemmas: tuple[str, ...]
    patterns: tuple[str, ...]
    misspellings: tuple[tuple[str, str], ...]
    fuzzy: tuple[str, ...]
    supersedes: tuple[str, ...]


@dataclass(frozen=True)
class LevelRule:
    level: str
    all_of: frozenset[str]
    any_of: frozenset[str]
    comment: str

    def fires(self, signs: frozenset[str]) -> bool:
        return self.all_of <= signs and (not self.any_of or bool(self.any_of & signs))


@dataclass(frozen=True)
class ContextRule:
    sign: str
    becomes: str
    context: str
    window: int
    unless_context: str | None
    comment: str


@dataclass(frozen=True, eq=False)
class Vocabulary:
    """The validated content of ``red_flags.yml``."""

    path: Path | None
    settings: Mapping[str, int]
    word_sets: Mapping[str, tuple[str, ...]]
    signs: Mapping[str, SignSpec]
    contexts: Mapping[str, tuple[str, ...]]
    context_rules: tuple[ContextRule, ...]
    ordinary_phrases: tuple[str, ...]
    cues: Mapping[str, tuple[str, ...]]
    level_rules: tuple[LevelRule, ...]

    @property
    def sign_names(self) -> tuple[str, ...]:
        return tuple(self.signs)

    def misspellings(self) -> dict[str, str]:
        return {wrong: right for spec in self.signs.values() for wrong, right in spec.misspellings}

    def fuzzy_targets(self) -> tuple[str, ...]:
        return tuple(sorted({w for spec in self.signs.values() for w in spec.fuzzy}))

    def level_for(self, signs: Iterable[str]) -> str:
        present = frozenset(signs)
        best = 0
        for rule in self.level_rules:
            if rule.fires(present):
                best = max(best, level_rank(rule.level))
        return LEVELS[best]

    def rules_fired(self, signs: Iterable[str]) -> tuple[LevelRule, ...]:
        present = frozenset(signs)
        return tuple(rule for rule in self.level_rules if rule.fires(present))


@dataclass(frozen=True)
class SignMention:
    sign: str
    text: str
    start_char: int
    end_char: int
    status: Status
    # character spans of the words that matched the vocabulary (the words a
    # wildcard skipped are left out): "pain in my chest" -> "pain", "chest"
    words: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class RedFlagFindings:
    mentions: tuple[SignMention, ...]
    affirmed: frozenset[str]
    hedged: frozenset[str]
    negated: frozenset[str]
    asked_about: frozenset[str]
    level: str  # level of the affirmed signs only

    @property
    def escalates(self) -> bool:
        return self.level != "none"


# -------------------------------------------------------------- loading/validation

_TOP_KEYS = {
    "version", "settings", "word_sets", "signs", "contexts", "context_rules",
    "ordinary_phrases", "negation", "hedges", "questions", "level_rules",
}
_REQUIRED_TOP = {"version", "signs", "negation", "hedges", "questions", "level_rules"}
_SIGN_KEYS = {"label", "description", "modifier", "phrases", "lemmas", "patterns", "misspellings",
              "fuzzy", "supersedes"}
_DEFAULT_SETTINGS = {
    "negation_window": 5,
    "hedge_window": 6,
    "post_negation_window": 3,
    "post_hedge_window": 3,
    "presupposition_window": 2,
    "fuzzy_min_length": 5,
    "fuzzy_long_length": 9,
}
# section -> {yaml key: cue name}; cue names are what the detector uses.
_CUE_SECTIONS: dict[str, dict[str, str]] = {
    "negation": {
        "pre": "negation_pre",
        "post": "negation_post",
        "post_after_punctuation": "negation_post_punct",
        "punctuation": "post_punctuation",
        "pseudo": "pseudo_negation",
        "scope_terminators": "scope_terminators",
        "clause_starters": "clause_starters",
        "list_fillers": "list_fillers",
        "list_separators": "list_separators",
        "new_subjects": "new_subjects",
        "exceptions": "exception_cues",
    },
    "hedges": {"pre": "hedge_pre", "post": "hedge_post"},
    "questions": {
        "aux_starters": "aux_starters",
        "weak_aux_starters": "weak_aux_starters",
        "question_subjects": "question_subjects",
        "wh_words": "wh_words",
        "fillers": "question_fillers",
        "hypothetical_in_questions": "hypothetical_in_questions",
        "hypothetical": "hypothetical",
        "presupposition": "presupposition",
        "definite": "definite",
    },
}
_REQUIRED_CUES = {"negation_pre", "scope_terminators", "hedge_pre", "aux_starters", "wh_words"}
# Cue lists matched as patterns in the text (the others are plain word lists).
_PATTERN_CUES = (
    "negation_pre", "negation_post", "negation_post_punct", "pseudo_negation",
    "scope_terminators", "hedge_pre", "hedge_post", "hypothetical_in_questions", "hypothetical",
    "exception_cues",
)


def _fail(where: str, message: str) -> VocabularyError:
    return VocabularyError(f"red-flag vocabulary: {where}: {message}")


def _str_list(value: Any, where: str, *, allow_empty: bool = True) -> tuple[str, ...]:
    if value is None:
        value = []
    if not isinstance(value, list):
        raise _fail(where, f"expected a list, got {type(value).__name__}")
    out = []
    for item in value:
        if isinstance(item, (int, float)) and not isinstance(item, bool):
            item = str(item)
        if not isinstance(item, str) or not item.strip():
            raise _fail(where, f"expected non-empty strings, got {item!r}")
        out.append(item.strip())
    if not allow_empty and not out:
        raise _fail(where, "must not be empty")
    return tuple(out)


def _parse_slot(slot: str, word_sets: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Parse one pattern slot (see the legend in red_flags.yml)."""
    if re.fullmatch(r"\*\d+", slot):
        n = int(slot[1:])
        if not 1 <= n <= _MAX_WILDCARD:
            raise _fail(where, f"wildcard {slot!r} must be *1..*{_MAX_WILDCARD}")
        return {"kind": "wild", "n": n}
    optional = len(slot) > 1 and slot.endswith("?")
    body = slot[:-1] if optional else slot
    if body.startswith("/") and body.endswith("/") and len(body) > 2:
        try:
            re.compile(body[1:-1])
        except re.error as exc:
            raise _fail(where, f"bad regular expression {body!r}: {exc}") from None
        return {"kind": "regex", "value": body[1:-1], "optional": optional}
    kind = "lemma" if body.startswith("@") else "lower"
    words = body[1:] if kind == "lemma" else body
    alternatives: list[str] = []
    for word in words.split("|"):
        if word.startswith("$"):
            # a word set: any form of its words ("$leg_part" or "$pain_word|sharp")
            if word[1:] not in word_sets:
                raise _fail(where, f"unknown word set {word!r}")
            kind = "lemma"
            alternatives.extend(word_sets[word[1:]])
        else:
            alternatives.append(word)
    if not alternatives or any(not w for w in alternatives):
        raise _fail(where, f"empty alternative in slot {slot!r}")
    if any(c in w for w in alternatives for c in "*$@"):
        raise _fail(where, f"misplaced special character in slot {slot!r}")
    return {"kind": kind, "value": tuple(w.lower() for w in alternatives), "optional": optional}


def _parse_pattern(pattern: str, word_sets: Mapping[str, Any], where: str) -> list[dict[str, Any]]:
    slots = pattern.split()
    if not slots:
        raise _fail(where, "empty pattern")
    parsed = [_parse_slot(s, word_sets, f"{where} {pattern!r}") for s in slots]
    if parsed[0]["kind"] == "wild" or parsed[-1]["kind"] == "wild":
        raise _fail(where, f"pattern {pattern!r} must not start or end with a wildcard")
    if all(p.get("optional") or p["kind"] == "wild" for p in parsed):
        raise _fail(where, f"pattern {pattern!r} has no required word")
    return parsed


def _validate_patterns(patterns: Iterable[str], word_sets: Mapping[str, Any], where: str) -> None:
    for pattern in patterns:
        _parse_pattern(pattern, word_sets, where)


def _int_setting(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _fail(where, f"expected a non-negative integer, got {value!r}")
    return value


def _build_vocabulary(raw: Any, path: Path | None) -> Vocabulary:
    if not isinstance(raw, dict):
        raise _fail("file", "top level must be a mapping")
    unknown = set(raw) - _TOP_KEYS
    if unknown:
        raise _fail("file", f"unknown top-level keys {sorted(unknown)}")
    missing = _REQUIRED_TOP - set(raw)
    if missing:
        raise _fail("file", f"missing top-level keys {sorted(missing)}")
    if raw["version"] != 1:
        raise _fail("version", f"unsupported version {raw['version']!r}")

    settings = dict(_DEFAULT_SETTINGS)
    raw_settings = raw.get("settings") or {}
    if not isinstance(raw_settings, dict):
        raise _fail("settings", "must be a mapping")
    for key, value in raw_settings.items():
        if key not in _DEFAULT_SETTINGS:
            raise _fail("settings", f"unknown setting {key!r}")
        settings[key] = _int_setting(value, f"settings.{key}")

    raw_sets = raw.get("word_sets") or {}
    if not isinstance(raw_sets, dict):
        raise _fail("word_sets", "must be a mapping")
    word_sets = {
        str(name): tuple(
            w.lower() for w in _str_list(words, f"word_sets.{name}", allow_empty=False))
        for name, words in raw_sets.items()
    }

    raw_signs = raw["signs"]
    if not isinstance(raw_signs, dict) or not raw_signs:
        raise _fail("signs", "must be a non-empty mapping")
    signs: dict[str, SignSpec] = {}
    for name, body in raw_signs.items():
        where = f"signs.{name}"
        if not isinstance(name, str) or not _SIGN_NAME.match(name):
            raise _fail(where, "sign names must be lower_snake_case")
        if not isinstance(body, dict):
            raise _fail(where, "must be a mapping")
        unknown = set(body) - _SIGN_KEYS
        if unknown:
            raise _fail(where, f"unknown keys {sorted(unknown)}")
        description = body.get("description")
        if not isinstance(description, str) or not description.strip():
            raise _fail(where, "needs a description")
        label = body.get("label", name.replace("_", " "))
        if not isinstance(label, str) or not label.strip():
            raise _fail(f"{where}.label", "must be a non-empty string")
        modifier = body.get("modifier", False)
        if not isinstance(modifier, bool):
            raise _fail(f"{where}.modifier", "must be true or false")
        phrases = _str_list(body.get("phrases"), f"{where}.phrases")
        lemmas = _str_list(body.get("lemmas"), f"{where}.lemmas")
        patterns = _str_list(body.get("patterns"), f"{where}.patterns")
        _validate_patterns(patterns, word_sets, f"{where}.patterns")
        raw_miss = body.get("misspellings") or {}
        if not isinstance(raw_miss, dict):
            raise _fail(f"{where}.misspellings", "must be a mapping of misspelling: word")
        misspellings = []
        for wrong, right in raw_miss.items():
            if not isinstance(wrong, str) or not isinstance(right, str) or not wrong or not right:
                raise _fail(f"{where}.misspellings", f"bad entry {wrong!r}: {right!r}")
            if not re.fullmatch(r"[a-z]+", wrong.lower()):
                raise _fail(f"{where}.misspellings", f"{wrong!r} must be a single word")
            misspellings.append((wrong.lower(), right.lower()))
        fuzzy = _str_list(body.get("fuzzy"), f"{where}.fuzzy")
        for word in fuzzy:
            if not re.fullmatch(r"[a-z]+", word):
                raise _fail(f"{where}.fuzzy", f"{word!r} must be a single lower-case word")
        supersedes = _str_list(body.get("supersedes"), f"{where}.supersedes")
        if not (phrases or lemmas or patterns or misspellings):
            raise _fail(where, "needs at least one of phrases, lemmas, patterns, misspellings")
        signs[name] = SignSpec(
            name=name,
            label=label.strip(),
            description=description.strip(),
            modifier=modifier,
            phrases=phrases,
            lemmas=lemmas,
            patterns=patterns,
            misspellings=tuple(misspellings),
            fuzzy=fuzzy,
            supersedes=supersedes,
        )
    for spec in signs.values():
        for other in spec.supersedes:
            if other not in signs:
                raise _fail(f"signs.{spec.name}.supersedes", f"unknown sign {other!r}")

    raw_contexts = raw.get("contexts") or {}
    if not isinstance(raw_contexts, dict):
        raise _fail("contexts", "must be a mapping")
    contexts = {}
    for name, pats in raw_contexts.items():
        contexts[str(name)] = _str_list(pats, f"contexts.{name}", allow_empty=False)
        _validate_patterns(contexts[str(name)], word_sets, f"contexts.{name}")

    context_rules = []
    raw_crules = raw.get("context_rules") or []
    if not isinstance(raw_crules, list):
        raise _fail("context_rules", "must be a list")
    for i, rule in enumerate(raw_crules):
        where = f"context_rules[{i}]"
        if not isinstance(rule, dict):
            raise _fail(where, "must be a mapping")
        sign, becomes, ctx = rule.get("sign"), rule.get("becomes"), rule.get("context")
        unless = rule.get("unless_context")
        for key, value in (("sign", sign), ("becomes", becomes)):
            if value not in signs:
                raise _fail(where, f"{key}: unknown sign {value!r}")
        for key, value in (("context", ctx), ("unless_context", unless)):
            if value is not None and value not in contexts:
                raise _fail(where, f"{key}: unknown context {value!r}")
        if ctx is None:
            raise _fail(where, "needs a context")
        comment = rule.get("comment")
        if not isinstance(comment, str) or not comment.strip():
            raise _fail(where, "needs a comment")
        context_rules.append(ContextRule(
            sign=sign, becomes=becomes, context=ctx,
            window=_int_setting(rule.get("window", 5), f"{where}.window"),
            unless_context=unless, comment=comment.strip(),
        ))

    ordinary = _str_list(raw.get("ordinary_phrases"), "ordinary_phrases")
    _validate_patterns(ordinary, word_sets, "ordinary_phrases")

    cues: dict[str, tuple[str, ...]] = {}
    for section, keys in _CUE_SECTIONS.items():
        body = raw.get(section)
        if not isinstance(body, dict):
            raise _fail(section, "must be a mapping")
        unknown = set(body) - set(keys)
        if unknown:
            raise _fail(section, f"unknown keys {sorted(unknown)}")
        for key, cue_name in keys.items():
            cues[cue_name] = tuple(w.lower() for w in _str_list(body.get(key), f"{section}.{key}"))
    for cue_name in _REQUIRED_CUES:
        if not cues.get(cue_name):
            raise _fail("cues", f"{cue_name} must not be empty")
    for cue_name in _PATTERN_CUES:
        _validate_patterns(cues[cue_name], word_sets, f"cues.{cue_name}")

    raw_rules = raw["level_rules"]
    if not isinstance(raw_rules, list) or not raw_rules:
        raise _fail("level_rules", "must be a non-empty list")
    rules = []
    for i, rule in enumerate(raw_rules):
        where = f"level_rules[{i}]"
        if not isinstance(rule, dict):
            raise _fail(where, "must be a mapping")
        unknown = set(rule) - {"level", "all", "any", "comment"}
        if unknown:
            raise _fail(where, f"unknown keys {sorted(unknown)}")
        level = rule.get("level")
        if level not in LEVELS[1:]:
            raise _fail(where, f"level must be one of {LEVELS[1:]}, got {level!r}")
        all_of = _str_list(rule.get("all"), f"{where}.all", allow_empty=False)
        any_of = _str_list(rule.get("any"), f"{where}.any")
        for sign in (*all_of, *any_of):
            if sign not in signs:
                raise _fail(where, f"unknown sign {sign!r}")
        comment = rule.get("comment")
        if not isinstance(comment, str) or not comment.strip():
            raise _fail(where, "needs a plain-English comment")
        rules.append(LevelRule(level, frozenset(all_of), frozenset(any_of), comment.strip()))

    # Consistency: a non-modifier sign escalates on its own; a modifier never does.
    alone = {next(iter(r.all_of)) for r in rules if len(r.all_of) == 1 and not r.any_of}
    for spec in signs.values():
        if spec.modifier and spec.name in alone:
            raise _fail(f"signs.{spec.name}", "is a modifier but a level rule escalates it alone")
        if not spec.modifier and spec.name not in alone:
            raise _fail(f"signs.{spec.name}",
                        "has no level rule of its own (mark it modifier: true?)")

    return Vocabulary(
        path=path,
        settings=settings,
        word_sets=word_sets,
        signs=signs,
        contexts=contexts,
        context_rules=tuple(context_rules),
        ordinary_phrases=ordinary,
        cues=cues,
        level_rules=tuple(rules),
    )


@lru_cache(maxsize=8)
def _load_cached(path: Path) -> Vocabulary:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise VocabularyError(f"red-flag vocabulary: cannot read {path}: {exc}") from exc
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise VocabularyError(f"red-flag vocabulary: {path} is not valid YAML: {exc}") from exc
    return _build_vocabulary(raw, path)


def load_vocabulary(path: str | Path | None = None) -> Vocabulary:
    """Load and validate the red-flag vocabulary (cached per path)."""
    resolved = Path(path).resolve() if path is not None else DEFAULT_VOCABULARY_PATH
    return _load_cached(resolved)


load_vocabulary.cache_clear = _load_cached.cache_clear  # type: ignore[attr-defined]


def escalation_level(signs: Iterable[str], vocabulary: Vocabulary | None = None) -> str:
    """Escalation level for a set of affirmed sign names, from the YAML level rules."""
    vocab = vocabulary or load_vocabulary()
    signs = list(signs)
    unknown = [s for s in signs if s not in vocab.signs]
    if unknown:
        raise ValueError(f"unknown sign names {unknown}")
    return vocab.level_for(signs)


def describe_signs(signs: Iterable[str], vocabulary: Vocabulary | None = None) -> str:
    """A readable phrase for sign names, in the vocabulary's order.

    >>> describe_signs(["warmth", "swelling"])
    'swelling and warmth in the leg'
    """
    vocab = vocabulary or load_vocabulary()
    names = set(signs)
    order = list(vocab.signs)
    ordered = sorted(names, key=lambda n: (order.index(n) if n in order else len(order), n))
    labels = [vocab.signs[n].label if n in vocab.signs else n.replace("_", " ") for n in ordered]
    if not labels:
        return ""
    if len(labels) == 1:
        return labels[0]
    return ", ".join(labels[:-1]) + " and " + labels[-1]


# ------------------------------------------------------------------- normalising


def _damerau(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance, stopping early above ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


class _Normaliser:
    """Turns a token into (word, lemma): lower case, contractions, spelling."""

    def __init__(self, nlp: Language, vocabulary: Vocabulary, literal_words: set[str]):
        table = None
        if "lemmatizer" in nlp.pipe_names:
            lookups = getattr(nlp.get_pipe("lemmatizer"), "lookups", None)
            if lookups is not None and lookups.has_table("lemma_lookup"):
                table = lookups.get_table("lemma_lookup")
        self._table = table
        self._known_lemmas = set(table.values()) if table is not None else set()
        self._misspellings = vocabulary.misspellings()
        self._targets = vocabulary.fuzzy_targets()
        self._literal_words = literal_words | set(self._targets) | set(self._misspellings.values())
        self._min_len = vocabulary.settings["fuzzy_min_length"]
        self._long_len = vocabulary.settings["fuzzy_long_length"]
        self._fuzzy_cache: dict[str, str] = {}

    def is_known(self, word: str) -> bool:
        if word in self._literal_words or word in self._known_lemmas:
            return True
        return self._table is not None and word in self._table

    def correct(self, word: str) -> str:
        """The word as meant: known misspellings and one-typo sign words corrected."""
        if word in self._misspellings:
            return self._misspellings[word]
        if len(word) < self._min_len or not word.isalpha() or not self._targets:
            return word
        cached = self._fuzzy_cache.get(word)
        if cached is None:
            cached = self._fuzzy(word)
            if len(self._fuzzy_cache) < 20000:
                self._fuzzy_cache[word] = cached
        return cached

    def _fuzzy(self, word: str) -> str:
        if self.is_known(word):
            return word
        # "tinglinggg" -> "tinglingg": a long run of one letter counts as one typo
        squeezed = _REPEATS.sub(r"\1\1", word)
        if squeezed in self._misspellings:
            return self._misspellings[squeezed]
        best: tuple[int, str] | None = None
        for target in self._targets:
            if target[0] != squeezed[0]:
                continue
            limit = 2 if len(target) >= self._long_len else 1
            dist = _damerau(squeezed, target, limit)
            if dist <= limit and (best is None or dist < best[0]):
                best = (dist, target)
        return best[1] if best is not None else word

    def lemma(self, word: str, fallback: str) -> str:
        if self._table is not None:
            return self._table.get(word, word)
        return fallback.lower() or word

    def normalise(self, nlp: Language, doc: Doc) -> _Normalised:
        """The words of ``doc`` as the matchers read them (see :class:`_Normalised`).

        The text is lower-cased *before* it is tokenised, so that "I CAN'T" splits
        like "i can't" ("ca" + "n't" -> "can not"): spaCy's tokenizer exceptions
        only know some cased spellings. White space is never a word: a run with a
        line break becomes one ``"\\n"`` token (a clause break), any other run
        (spaces, tabs, U+00A0, ...) is left out, and so are invisible characters
        (control characters, zero-width spaces).
        """
        source = nlp.make_doc(_INVISIBLE.sub(" ", _lower_same_length(doc.text)))
        words: list[str] = []
        lemmas: list[str] = []
        offsets: list[tuple[int, int]] = []
        single: set[int] = set()
        gap_breaks = gap_start = gap_end = 0  # line breaks since the last word
        for tok in source:
            if tok.is_space:
                breaks = _count_line_breaks(tok.text)
                if breaks:
                    if not gap_breaks:
                        gap_start = tok.idx
                    gap_breaks += breaks
                    gap_end = tok.idx + len(tok.text)
                continue
            if gap_breaks:
                if gap_breaks == 1 and words:
                    single.add(len(words))
                words.append("\n")
                lemmas.append("\n")
                offsets.append((gap_start, gap_end))
                gap_breaks = 0
            word = (tok.norm_ or tok.lower_).lower().replace("’", "'").replace("‘", "'")
            word = self.correct(word)
            words.append(word)
            lemmas.append(self.lemma(word, tok.lemma_))
            offsets.append((tok.idx, tok.idx + len(tok.text)))
        if gap_breaks:
            words.append("\n")
            lemmas.append("\n")
            offsets.append((gap_start, gap_end))
        return _Normalised(tuple(words), tuple(lemmas), tuple(offsets), frozenset(single))


@dataclass(frozen=True)
class _Normalised:
    """A message's words as the matchers read them.

    One entry per word (lower case, contractions spelled out, spelling corrected)
    and a ``"\\n"`` for each run of white space with a line break (a clause break:
    it ends sentences and the scopes of negations, hedges and questions); other
    white space is left out. ``offsets`` gives each entry's characters in the
    original text; ``single_breaks`` the ``"\\n"`` entries that are exactly one
    line break between two words (a blank line is never a wrapped line).
    """

    words: tuple[str, ...]
    lemmas: tuple[str, ...]
    offsets: tuple[tuple[int, int], ...]
    single_breaks: frozenset[int]

    def view(self, nlp: Language, drop: AbstractSet[int] = frozenset()) -> tuple[Doc, list[int]]:
        """A ``Doc`` of the entries not in ``drop``, and the entry index of each token."""
        keep = [i for i in range(len(self.words)) if i not in drop]
        doc = Doc(nlp.vocab, words=[self.words[i] for i in keep], spaces=[True] * len(keep),
                  lemmas=[self.lemmas[i] for i in keep])
        return doc, keep


def _count_line_breaks(text: str) -> int:
    return len(_LINE_BREAK.findall(text))


def _lower_same_length(text: str) -> str:
    """``text.lower()``, except characters whose lower case is longer ("İ") stay as
    they are, so that character offsets still point into ``text``."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


# --------------------------------------------------------------------- matchers


@dataclass
class Matchers:
    """The spaCy matchers compiled from a vocabulary (built once per pipeline)."""

    phrase_lower: PhraseMatcher
    phrase_lemma: PhraseMatcher
    matcher: Matcher
    # Matcher key -> (label, set of pattern-token indices that are wildcards)
    pattern_info: dict[str, tuple[str, frozenset[int]]]
    normaliser: _Normaliser
    labels: set[str] = field(default_factory=set)


def _derive_words(nlp: Language, text: str, normaliser: _Normaliser | None) -> list[str]:
    doc = nlp.make_doc(text)
    out = []
    for tok in doc:
        word = (tok.norm_ or tok.lower_).lower().replace("’", "'")
        out.append(normaliser.correct(word) if normaliser else word)
    return out


def _compile_pattern(
    nlp: Language, vocab: Vocabulary, pattern: str, where: str, lemma_of, stops: list[str],
) -> tuple[list[dict[str, Any]], frozenset[int]]:
    parsed = _parse_pattern(pattern, vocab.word_sets, where)
    tokens: list[dict[str, Any]] = []
    wild: set[int] = set()
    for slot in parsed:
        kind = slot["kind"]
        if kind == "wild":
            for _ in range(slot["n"]):
                wild.add(len(tokens))
                tokens.append({"LOWER": {"NOT_IN": stops}, "IS_SPACE": False, "OP": "?"})
            continue
        if kind == "regex":
            spec: dict[str, Any] = {"LOWER": {"REGEX": f"^(?:{slot['value']})$"}}
        else:
            alternatives = []
            for alt in slot["value"]:
                derived = _derive_words(nlp, alt, None)
                if len(derived) != 1:
                    raise _fail(where, f"{alt!r} in pattern {pattern!r} is not a single word "
                                       f"(it reads as {derived}); split it into slots")
                alternatives.append(derived[0])
            if kind == "lemma":
                values = sorted({lemma_of(w) for w in alternatives} | set(alternatives))
                spec = {"LEMMA": {"IN": values}}
            else:
                spec = {"LOWER": {"IN": sorted(set(alternatives))}}
        if slot.get("optional"):
            spec["OP"] = "?"
        tokens.append(spec)
    return tokens, frozenset(wild)


def build_matchers(nlp: Language, vocabulary: Vocabulary | None = None) -> Matchers:
    """Compile the vocabulary into spaCy matchers (LOWER and LEMMA attributes)."""
    vocab = vocabulary or load_vocabulary()
    literal_words: set[str] = set()
    for spec in vocab.signs.values():
        for text in (*spec.phrases, *spec.lemmas):
            literal_words.update(text.lower().split())
    for words in vocab.word_sets.values():
        literal_words.update(words)
    normaliser = _Normaliser(nlp, vocab, literal_words)

    def lemma_of(word: str) -> str:
        return normaliser.lemma(word, word)

    def derived_doc(text: str) -> Doc:
        return normaliser.normalise(nlp, nlp.make_doc(text)).view(nlp)[0]

    phrase_lower = PhraseMatcher(nlp.vocab, attr="LOWER")
    phrase_lemma = PhraseMatcher(nlp.vocab, attr="LEMMA")
    matcher = Matcher(nlp.vocab)
    pattern_info: dict[str, tuple[str, frozenset[int]]] = {}
    labels: set[str] = set()
    stops = sorted({".", "!", "?", ";", "…", "\n", "but", "however", "although", "whereas"})

    def add_patterns(label: str, patterns: Sequence[str], where: str) -> None:
        labels.add(label)
        for i, pattern in enumerate(patterns):
            tokens, wild = _compile_pattern(nlp, vocab, pattern, where, lemma_of, stops)
            key = f"{label}#{i}"
            matcher.add(key, [tokens])
            pattern_info[key] = (label, wild)

    for spec in vocab.signs.values():
        label = f"sign:{spec.name}"
        labels.add(label)
        if spec.phrases:
            phrase_lower.add(label, [derived_doc(p) for p in spec.phrases])
        if spec.lemmas:
            phrase_lemma.add(label, [derived_doc(p) for p in spec.lemmas])
        # A corrected misspelling reads as the right word, so match the word itself too.
        words = sorted({right for _, right in spec.misspellings} | set(spec.fuzzy))
        if words:
            phrase_lower.add(label, [derived_doc(w) for w in words])
        add_patterns(label, spec.patterns, f"signs.{spec.name}.patterns")
    for name, patterns in vocab.contexts.items():
        add_patterns(f"ctx:{name}", patterns, f"contexts.{name}")
    add_patterns("ordinary", vocab.ordinary_phrases, "ordinary_phrases")
    for cue_name in _PATTERN_CUES:
        add_patterns(f"cue:{cue_name}", vocab.cues[cue_name], f"cues.{cue_name}")
    return Matchers(phrase_lower, phrase_lemma, matcher, pattern_info, normaliser, labels)


# --------------------------------------------------------------------- detection


@dataclass
class _Mention:
    sign: str
    start: int
    end: int
    wild: frozenset[int]  # token indices matched by wildcards (not part of the trigger)

    @property
    def literal(self) -> set[int]:
        return set(range(self.start, self.end)) - self.wild


def _word_spans(offsets: Sequence[tuple[int, int]], an: _Analysis,
                m: _Mention) -> tuple[tuple[int, int], ...]:
    spans: list[tuple[int, int]] = []
    for i in sorted(m.literal):
        if an.words[i] == "\n":
            continue
        start, end = offsets[i]
        if spans and spans[-1][1] == start:  # "ca" + "n't" -> "can't"
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return tuple(spans)


class _Analysis:
    """Per-message state: the normalised doc, matches and cue positions."""

    def __init__(self, vocab: Vocabulary, nd: Doc,
                 raw_matches: list[tuple[str, int, int, frozenset[int]]]):
        self.vocab = vocab
        self.nd = nd
        self.n = len(nd)
        self.words = [t.text for t in nd]
        self.lemmas = [t.lemma_ for t in nd]
        self.by_label: dict[str, list[tuple[int, int, frozenset[int]]]] = {}
        for label, start, end, wild in raw_matches:
            self.by_label.setdefault(label, []).append((start, end, wild))
        self.sentence_end = [bool(_SENTENCE_END.match(w)) or w == "\n" for w in self.words]
        cues = vocab.cues
        self.terminator = list(self.sentence_end)
        for start, end, _ in self.by_label.get("cue:scope_terminators", []):
            for i in range(start, end):
                self.terminator[i] = True
        self.clause_starters = set(cues["clause_starters"])
        self.list_fillers = set(cues["list_fillers"])
        self.list_separators = set(cues["list_separators"])
        self.post_punct = set(cues["post_punctuation"])
        self.new_subjects = set(cues["new_subjects"])
        self.exception_starts = {s for s, _, _ in self.by_label.get("cue:exception_cues", [])}

    def spans(self, label: str) -> list[tuple[int, int, frozenset[int]]]:
        return self.by_label.get(label, [])

    def sentence_bounds(self, i: int) -> tuple[int, int]:
        start = i
        while start > 0 and not self.sentence_end[start - 1]:
            start -= 1
        end = i
        while end < self.n and not self.sentence_end[end]:
            end += 1
        return start, end  # end is the index of the sentence-ending token (or n)


class RedFlagDetector:
    """Find red-flag signs in a message, with negation, hedges and questions."""

    def __init__(self, nlp: Language, vocabulary: Vocabulary | None = None):
        self.nlp = nlp
        self.vocabulary = vocabulary or load_vocabulary()
        self.matchers = build_matchers(nlp, self.vocabulary)

    # ----------------------------------------------------------------- public
    def detect_text(self, text: str) -> RedFlagFindings:
        """Findings for a text; character offsets point into ``text``.

        Any text is accepted: a lone UTF-16 surrogate (which spaCy cannot store)
        is read as U+FFFD. White space and case need no cleaning first.
        """
        return self.detect(self.nlp.make_doc(_SURROGATE.sub("\ufffd", text)))

    def detect(self, doc: Doc) -> RedFlagFindings:
        """Findings for ``doc.text`` (the doc's own tokens, case and white space do
        not matter: the text is lower-cased and re-tokenised, see ``_Normaliser``)."""
        norm = self.matchers.normaliser.normalise(self.nlp, doc)
        nd, keep = norm.view(self.nlp, self._wrapped_lines(norm))
        offsets = [norm.offsets[i] for i in keep]
        an = _Analysis(self.vocabulary, nd, self._match(nd))
        mentions = self._sign_mentions(an)
        mention_starts: dict[int, list[_Mention]] = {}
        for m in mentions:
            mention_starts.setdefault(m.start, []).append(m)
        literal_in_mentions: set[int] = set()
        for m in mentions:
            literal_in_mentions |= m.literal
        neg_pre = self._valid_cues(an, "cue:negation_pre", literal_in_mentions, negation=True)
        neg_post = self._valid_cues(an, "cue:negation_post", literal_in_mentions, negation=True)
        neg_post_punct = self._valid_cues(
            an, "cue:negation_post_punct", literal_in_mentions, negation=True)
        hedge_pre = self._valid_cues(an, "cue:hedge_pre", literal_in_mentions, negation=False)
        hedge_post = self._valid_cues(an, "cue:hedge_post", literal_in_mentions, negation=False)

        negated: set[int] = set()
        hedged: set[int] = set()
        s = self.vocabulary.settings
        for _, end in neg_pre:
            for m in self._forward_scope(an, end, s["negation_window"], mention_starts):
                negated.add(id(m))
        for _, end in hedge_pre:
            for m in self._forward_scope(an, end, s["hedge_window"], mention_starts):
                hedged.add(id(m))
        neg_pre_tokens = {i for start, end in neg_pre for i in range(start, end)}
        hedge_pre_tokens = {i for start, end in hedge_pre for i in range(start, end)}

        out: list[SignMention] = []
        for m in mentions:
            if (id(m) in negated or m.wild & neg_pre_tokens
                    or self._post_negated(an, m, neg_post, neg_post_punct, mention_starts)):
                status: Status = "negated"
            elif (id(m) in hedged or m.wild & hedge_pre_tokens
                    or self._post_hedged(an, m, hedge_post, mention_starts)):
                status = "hedged"
            elif self._is_question(an, m):
                status = "question"
            else:
                status = "affirmed"
            start_char, end_char = offsets[m.start][0], offsets[m.end - 1][1]
            out.append(SignMention(m.sign, doc.text[start_char:end_char], start_char, end_char,
                                   status, _word_spans(offsets, an, m)))
        return self._findings(tuple(out))

    # --------------------------------------------------------------- matching
    def _wrapped_lines(self, norm: _Normalised) -> frozenset[int]:
        """The line breaks that sit between two words of a sign: a wrapped line
        ("I've got chest\\npain"), read as a space. Only a single line break, and
        only between two matched words of the sign, never where a wildcard skips
        words ("chest ok\\n- pain after 5k" keeps its break: not chest pain)."""
        if not norm.single_breaks:
            return frozenset()
        breaks = frozenset(i for i, w in enumerate(norm.words) if w == "\n")
        joined, keep = norm.view(self.nlp, breaks)
        # token of ``joined`` -> the line break just before it
        after_break = {j: keep[j] - 1 for j in range(1, len(keep)) if keep[j] - keep[j - 1] > 1}
        wraps: set[int] = set()
        for label, start, end, wild in self._match(joined):
            if not label.startswith("sign:"):
                continue
            for j in range(start + 1, end):
                line_break = after_break.get(j)
                if (line_break in norm.single_breaks
                        and j - 1 not in wild and j not in wild):
                    wraps.add(line_break)
        return frozenset(wraps)

    def _match(self, nd: Doc) -> list[tuple[str, int, int, frozenset[int]]]:
        strings = self.nlp.vocab.strings
        found: list[tuple[str, int, int, frozenset[int]]] = []
        for pm in (self.matchers.phrase_lower, self.matchers.phrase_lemma):
            for match_id, start, end in pm(nd):
                found.append((strings[match_id], start, end, frozenset()))
        info = self.matchers.pattern_info
        for match_id, start, end, alignment in self.matchers.matcher(nd, with_alignments=True):
            label, wild_slots = info[strings[match_id]]
            wild = frozenset(start + k for k, slot in enumerate(alignment) if slot in wild_slots)
            found.append((label, start, end, wild))
        return found

    def _sign_mentions(self, an: _Analysis) -> list[_Mention]:
        vocab = self.vocabulary
        ordinary = [(s, e) for s, e, _ in an.spans("ordinary")]
        raw: list[_Mention] = []
        for label, items in an.by_label.items():
            if not label.startswith("sign:"):
                continue
            for start, end, wild in items:
                if any(s < end and start < e for s, e in ordinary):
                    continue
                raw.append(_Mention(label[5:], start, end, wild))
        # context rules (e.g. out of breath on the hills -> exertional)
        for m in raw:
            for rule in vocab.context_rules:
                if m.sign != rule.sign:
                    continue
                if rule.unless_context and self._near(an, m, rule.unless_context, rule.window):
                    continue
                if self._near(an, m, rule.context, rule.window):
                    m.sign = rule.becomes
                    break
        # longer mentions of a sign supersede contained mentions of the listed signs
        kept = []
        for m in raw:
            superseded = any(
                m.sign in vocab.signs[o.sign].supersedes
                and o.start <= m.start and m.end <= o.end and o is not m
                for o in raw
            )
            if not superseded:
                kept.append(m)
        # one mention per overlapping group of the same sign: the longest
        kept.sort(key=lambda m: (m.sign, m.start, -(m.end - m.start)))
        result: list[_Mention] = []
        for m in kept:
            if result and result[-1].sign == m.sign and m.start < result[-1].end:
                continue
            result.append(m)
        result.sort(key=lambda m: (m.start, m.end, m.sign))
        return result

    def _near(self, an: _Analysis, m: _Mention, context: str, window: int) -> bool:
        s_start, s_end = an.sentence_bounds(m.start)
        lo, hi = max(s_start, m.start - window), min(s_end, m.end + window)
        return any(start < hi and end > lo for start, end, _ in an.spans(f"ctx:{context}"))

    def _valid_cues(self, an: _Analysis, label: str, literal_in_mentions: set[int],
                    *, negation: bool) -> list[tuple[int, int]]:
        blockers: list[tuple[int, int]] = []
        if negation:
            blockers += [(s, e) for s, e, _ in an.spans("cue:pseudo_negation")]
            blockers += [(s, e) for s, e, _ in an.spans("cue:hedge_pre")]
            blockers += [(s, e) for s, e, _ in an.spans("cue:hedge_post")]
        valid = []
        for start, end, _ in an.spans(label):
            toks = set(range(start, end))
            if toks & literal_in_mentions:
                continue
            if any(s < end and start < e for s, e in blockers):
                continue
            valid.append((start, end))
        return valid

    # ---------------------------------------------------------------- scopes
    def _skip_fillers(self, an: _Analysis, j: int, mention_starts: Mapping[int, list]) -> int:
        while j < an.n and j not in mention_starts and an.words[j] in an.list_fillers:
            j += 1
        return j

    def _forward_scope(self, an: _Analysis, i: int, window: int,
                       mention_starts: Mapping[int, list[_Mention]]) -> list[_Mention]:
        """Mentions reached by a cue that ends at token ``i`` (NegEx-style)."""
        reached: list[_Mention] = []
        gap = 0
        while i < an.n:
            if i in an.exception_starts and reached:
                # "no pain except when I press": unless a sign follows the exception
                # ("no pain apart from some tingling"), the denial does not hold.
                ahead = range(i + 1, min(an.n, i + 6))
                if not any(k in mention_starts for k in ahead):
                    return []
            if i in mention_starts:
                # the mention, and any mention starting inside it ("no chest pain")
                end = max(m.end for m in mention_starts[i])
                k = i
                while k < end:
                    for m in mention_starts.get(k, ()):
                        reached.append(m)
                        end = max(end, m.end)
                    k += 1
                i = end
                gap = 0
                continue
            if an.terminator[i]:
                break
            word = an.words[i]
            if reached and word in an.new_subjects:
                break  # "I don't have swelling I have tingling"
            if word in an.list_separators:
                j = self._skip_fillers(an, i + 1, mention_starts)
                if j in mention_starts:
                    i = j
                    continue
                if not word.isalpha():
                    break  # ", my calf is swollen": a comma not followed by a listed sign
                if i + 1 < an.n and an.words[i + 1] in an.clause_starters:
                    break  # "and my calf is swollen"
            gap += 1
            if gap > window:
                break
            i += 1
        return reached

    def _post_negated(self, an: _Analysis, m: _Mention, post: list[tuple[int, int]],
                      post_punct: list[tuple[int, int]],
                      mention_starts: Mapping[int, list[_Mention]]) -> bool:
        window = self.vocabulary.settings["post_negation_window"]
        starts = {s: e for s, e in post}
        punct_starts = {s: e for s, e in post_punct}
        i, steps, saw_punct = m.end, 0, False
        while i < an.n and steps <= window:
            for table, needs_punct in ((starts, False), (punct_starts, True)):
                if i in table and (saw_punct or not needs_punct):
                    after = self._skip_fillers(an, table[i], mention_starts)
                    if after not in mention_starts:  # "swollen calf, no pain": a pre-cue
                        return True
            word = an.words[i]
            if word in an.post_punct:
                saw_punct = True
            elif an.terminator[i] or i in mention_starts:
                return False
            steps += 1
            i += 1
        return False

    def _post_hedged(self, an: _Analysis, m: _Mention, post: list[tuple[int, int]],
                     mention_starts: Mapping[int, list[_Mention]]) -> bool:
        window = self.vocabulary.settings["post_hedge_window"]
        starts = {s: e for s, e in post}
        i, steps = m.end, 0
        while i < an.n and steps <= window:
            if i in starts:
                end = starts[i]
                # only a clause-final hedge: "swollen maybe?" not "swollen maybe from the run"
                if end >= an.n or an.terminator[end] or an.words[end] in an.post_punct:
                    return True
            if an.sentence_end[i] and an.words[i] != "?":
                return False
            if i in mention_starts or (an.terminator[i] and an.words[i] != "?"):
                return False
            steps += 1
            i += 1
        return False

    # -------------------------------------------------------------- questions
    def _clause_start(self, an: _Analysis, i: int, sent_start: int) -> int:
        """Start of the clause holding token ``i`` (for question detection)."""
        cues = self.vocabulary.cues
        starters = (an.clause_starters | set(cues["aux_starters"])
                    | set(cues["weak_aux_starters"]) | set(cues["wh_words"]))
        j = i - 1
        while j >= sent_start:
            word = an.words[j]
            if word in (":", "—", "–") or (an.terminator[j] and not an.sentence_end[j]):
                return j + 1
            if word in an.list_separators and j + 1 < an.n and an.words[j + 1] in starters:
                return j + 1
            j -= 1
        return sent_start

    def _is_question(self, an: _Analysis, m: _Mention) -> bool:
        cues = self.vocabulary.cues
        s_start, s_end = an.sentence_bounds(m.start)
        ends_with_q = s_end < an.n and an.words[s_end] == "?"
        # Hypothetical anywhere ("I'll stop if it starts to hurt", "watch out for swelling").
        hyp_any = [(s, e) for s, e, _ in an.spans("cue:hypothetical") if s_start <= s < m.start]
        c_start = self._clause_start(an, m.start, s_start)
        k = c_start
        fillers = set(cues["question_fillers"])
        while k < m.start and an.words[k] in fillers:
            k += 1
        first = an.words[k] if k < an.n else ""
        nxt = an.words[k + 1] if k + 1 < an.n else ""
        aux = set(cues["aux_starters"])
        weak_aux = set(cues["weak_aux_starters"])
        subjects = set(cues["question_subjects"])
        interrogative = False
        if k < m.start and nxt != "not":
            if first in aux:
                # "is tingling normal", "does it hurt"
                interrogative = True
            elif first in weak_aux:
                # "did it swell?" but not "did 300 squats, now my pee is dark"
                interrogative = nxt in subjects or ends_with_q
            elif first in set(cues["wh_words"]) and (nxt in aux | weak_aux or ends_with_q):
                interrogative = True
        hyp_q = []
        if interrogative:
            hyp_q = [(s, e) for s, e, _ in an.spans("cue:hypothetical_in_questions")
                     if c_start <= s < m.start]
        hyps = hyp_any + hyp_q
        if not interrogative and not hyp_any:
            return False
        # Presupposed signs are stated, not asked: "is it normal that my feet go numb?",
        # "is the swelling in my calf normal?".
        after = max((e for _, e in hyps), default=c_start)
        presup = set(cues["presupposition"])
        if any(an.words[t] in presup for t in range(after, m.start)):
            return False
        window = self.vocabulary.settings["presupposition_window"]
        definite = set(cues["definite"])
        if any(an.words[t] in definite for t in range(max(after, m.start - window - 1), m.start)):
            return False
        return True

    # ---------------------------------------------------------------- results
    def _findings(self, mentions: tuple[SignMention, ...]) -> RedFlagFindings:
        by_status: dict[str, set[str]] = {s: set() for s in STATUSES}
        for m in mentions:
            by_status[m.status].add(m.sign)
        affirmed = frozenset(by_status["affirmed"])
        hedged = frozenset(by_status["hedged"] - affirmed)
        negated = frozenset(by_status["negated"] - affirmed - hedged)
        asked = frozenset(by_status["question"])
        return RedFlagFindings(
            mentions=mentions,
            affirmed=affirmed,
            hedged=hedged,
            negated=negated,
            asked_about=asked,
            level=self.vocabulary.level_for(affirmed),
        )

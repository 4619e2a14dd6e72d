"""Deterministic warning-sign detection: clinical concepts, their context, level rules.

All medical vocabulary and every rule live in ``bot/knowledge/red_flags.yml``, written
for a clinician to review; this module only applies them, in four steps:

1. **Words.** The message is lower-cased and cut into word tokens (each keeps its
   characters in the message). Contractions and chat spellings are spelt out
   ("can't", "cant" -> "can not"; "im" -> "i am"; "bc" -> "because"), runs of a
   repeated letter shortened, known misspellings corrected, and an unknown word one
   typo away from a sign word read as that word ("tinglng" -> "tingling").
2. **Concepts.** The knowledge file groups words and phrases into *word classes*
   (``chest``, ``pain_word``, ``effort``, ``negation``, ``someone_else``, ...). Every
   occurrence of a class is found in one pass. A *sign* (a clinical finding such as
   ``chest_pain`` or ``one_sided``) is found from classes: any word of a class, or
   words of several classes near each other in one sentence ("my *chest* feels
   *tight*", "*tight* band across my *chest*"), unless another class is near
   ("breathless" *on the hill reps* is effort, not a sign). Everyday and figurative
   phrases ("dead legs", "couldn't move my legs by the end", "chest strap") are
   read first and their words can't be part of a sign.
3. **Context.** Each sign mention gets a status: ``negated`` ("no swelling"),
   ``other`` (someone else's: "my dad has chest pain"), ``past`` (over: "a stress
   fracture two years ago, fully healed"), ``hypothetical`` ("what if my calf
   swells?"), ``question`` ("is tingling normal?"), ``hedged`` ("maybe a bit of
   tingling": only for signs that at most need a professional; a hedged emergency
   sign counts), or ``affirmed``.
4. **Levels.** The level rules of the knowledge file fire on combinations of
   affirmed signs; the level is the highest that fires (``none`` when none does).

Everything is linear in the message: tokens are found by one regular expression
without nested quantifiers, phrases through dictionaries keyed by their first word,
and every scan looks a bounded number of words around each token.

Nothing is read from disk at import time; :func:`load_vocabulary` is cached.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from bot import strict_yaml

__all__ = [
    "DEFAULT_VOCABULARY_PATH",
    "LEVELS",
    "STATUSES",
    "RedFlagDetector",
    "RedFlagFindings",
    "SignMention",
    "Vocabulary",
    "VocabularyError",
    "describe_signs",
    "escalation_level",
    "level_rank",
    "load_vocabulary",
]

LEVELS: tuple[str, ...] = ("none", "see_professional", "urgent", "emergency")
STATUSES: tuple[str, ...] = (
    "affirmed", "hedged", "negated", "question", "hypothetical", "past", "other")
Status = Literal["affirmed", "hedged", "negated", "question", "hypothetical", "past", "other"]
DEFAULT_VOCABULARY_PATH = Path(__file__).resolve().parents[1] / "knowledge" / "red_flags.yml"

# One token: a word (letters/digits with inner apostrophes), a run of sentence
# punctuation, a line break, or one other punctuation character. No nested
# quantifiers, so matching is linear in the text.
_TOKEN = re.compile(r"[a-z0-9]+(?:['’-][a-z0-9]+)*|[.!?;…]+|\n|[,:()\-–—/&+=~*\"]+")
_REPEAT3 = re.compile(r"([a-z])\1\1+")
_NUMBER = re.compile(r"[0-9]+")
_SENTENCE_END = frozenset({"!", "?", ";", "¶"})
# Words a class name must be written in (checked when the file is loaded).
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def level_rank(level: str) -> int:
    """Rank of a level in :data:`LEVELS` (``none`` = 0 ... ``emergency`` = 3)."""
    try:
        return LEVELS.index(level)
    except ValueError:
        raise ValueError(f"unknown escalation level {level!r}; expected one of {LEVELS}") from None


class VocabularyError(ValueError):
    """The knowledge file is malformed."""


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Term:
    """A word or phrase of a word class: one pattern per word.

    A pattern is a word, a prefix ending in ``*`` ("swell*": swell, swells, swelling)
    or ``#`` (any number).
    """

    words: tuple[str, ...]
    word_class: str

    @staticmethod
    def matches(pattern: str, token: str) -> bool:
        if pattern == "#":
            return _NUMBER.fullmatch(token) is not None
        if pattern.endswith("*"):
            return token.startswith(pattern[:-1])
        return token == pattern


@dataclass(frozen=True)
class Finder:
    """One way to find a sign: words of ``classes`` within ``window`` words of each
    other in one sentence, unless a word of ``unless`` is within ``unless_window``."""

    classes: tuple[str, ...]
    window: int
    unless: tuple[str, ...]
    unless_window: int
    across_sentences: bool = False


@dataclass(frozen=True)
class Sign:
    name: str
    label: str
    description: str
    modifier: bool
    finders: tuple[Finder, ...]
    report: bool = False  # a modifier that is a finding worth telling (warmth, headache)
    # still a sign when said to be over ("passed out, feel fine now"): only a long-past
    # time ("years ago", "in 2019") makes it history
    counts_when_over: bool = False


@dataclass(frozen=True)
class LevelRule:
    level: str
    all_of: frozenset[str]
    any_of: frozenset[str]
    none_of: frozenset[str]
    comment: str

    def fires(self, signs: frozenset[str]) -> bool:
        return (self.all_of <= signs and (not self.any_of or bool(self.any_of & signs))
                and not (self.none_of & signs))


@dataclass
class Vocabulary:
    """The parsed knowledge file."""

    classes: dict[str, tuple[Term, ...]]
    blocking: frozenset[str]
    signs: dict[str, Sign]
    rules: tuple[LevelRule, ...]
    spellings: dict[str, str]
    abbreviations: dict[str, tuple[str, ...]]
    settings: dict[str, int]
    # Built from the above.
    trie: "_Node | None" = None
    fuzzy_index: dict[str, set[str]] = field(default_factory=dict)
    known_words: frozenset[str] = frozenset()
    blocked_by: dict[str, frozenset[str]] = field(default_factory=dict)
    sign_classes: frozenset[str] = frozenset()
    context_classes: frozenset[str] = frozenset()
    _word_sets: dict[str, frozenset[str]] = field(default_factory=dict)

    def word_set(self, name: str) -> frozenset[str]:
        """The one-word terms of a class (cached)."""
        cached = self._word_sets.get(name)
        if cached is None:
            cached = frozenset(t.words[0] for t in self.classes.get(name, ()) if len(t.words) == 1)
            self._word_sets[name] = cached
        return cached

    def level_for(self, signs: Iterable[str]) -> str:
        present = frozenset(signs)
        best = 0
        for rule in self.rules:
            if rule.fires(present):
                best = max(best, level_rank(rule.level))
        return LEVELS[best]


def _as_list(value: Any, where: str) -> list:
    if value is None:
        return []
    if isinstance(value, (str, int)):
        return [value]
    if not isinstance(value, list):
        raise VocabularyError(f"{where}: expected a list")
    return value


def _term(text: Any, word_class: str) -> Term:
    words: list[str] = []
    for piece in str(text).split():
        if piece == "#" or (piece.endswith("*") and len(piece) > 1):
            words.append(piece.lower())  # a number, or a prefix
        else:
            words.extend(_normalise_words(piece))
    words = tuple(words)
    if not words:
        raise VocabularyError(f"class {word_class}: empty term {text!r}")
    return Term(words, word_class)


def _normalise_words(text: str) -> list[str]:
    """A term's words as the detector reads a message (contractions spelt out)."""
    out: list[str] = []
    for match in _TOKEN.finditer(text.lower()):
        if match.group()[0] in "-–—":
            out.append(match.group()[0])  # a dash on its own, as a message reads it ("- no")
            continue
        for token in match.group().replace("’", "'").split("-"):
            if token in ("\n", ""):
                continue
            out.extend(_CONTRACTIONS.get(token) or _split_nt(token) or (token,))
    return out


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def _osa_distance_at_most_one(a: str, b: str) -> bool:
    """Optimal string alignment distance <= 1 (one edit or one swap)."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (len(diff) == 2 and diff[1] == diff[0] + 1
                and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    for i in range(len(long_)):
        if long_[:i] + long_[i + 1:] == short:
            return True
    return False


def parse_vocabulary(data: Mapping[str, Any]) -> Vocabulary:
    """Check and parse the knowledge file's content."""
    for key in ("version", "classes", "signs", "rules"):
        if key not in data:
            raise VocabularyError(f"missing top-level key {key!r}")
    settings = {"window": 5, "negation_window": 6, "fuzzy_min_length": 5,
                **(data.get("settings") or {})}
    classes: dict[str, tuple[Term, ...]] = {}
    blocking: dict[str, Any] = {}
    for name, spec in (data["classes"] or {}).items():
        if not _NAME.match(str(name)):
            raise VocabularyError(f"bad class name {name!r}")
        if isinstance(spec, dict):
            unknown = set(spec) - {"words", "blocks", "except", "note"}
            if unknown:
                raise VocabularyError(f"class {name}: unknown keys {sorted(unknown)}")
            words = _as_list(spec.get("words"), f"class {name}")
            if spec.get("blocks"):
                blocking[name] = (spec["blocks"], tuple(_as_list(spec.get("except"), name)))
        else:
            words = _as_list(spec, f"class {name}")
        if not words:
            raise VocabularyError(f"class {name}: no words")
        classes[name] = tuple(_term(word, name) for word in words)
    signs: dict[str, Sign] = {}
    for name, spec in (data["signs"] or {}).items():
        if not _NAME.match(str(name)) or not isinstance(spec, dict):
            raise VocabularyError(f"bad sign {name!r}")
        unknown = set(spec) - {"label", "description", "modifier", "report", "find",
                             "counts_when_over"}
        if unknown:
            raise VocabularyError(f"sign {name}: unknown keys {sorted(unknown)}")
        finders = []
        for i, raw in enumerate(_as_list(spec.get("find"), f"sign {name}")):
            where = f"sign {name} find #{i + 1}"
            if isinstance(raw, str):
                raw = {"any": raw}
            if not isinstance(raw, dict) or set(raw) - {"any", "near", "window", "unless",
                                                          "unless_window", "across_sentences"}:
                raise VocabularyError(f"{where}: expected any/near/window/unless")
            if ("any" in raw) == ("near" in raw):
                raise VocabularyError(f"{where}: give exactly one of 'any' or 'near'")
            names = tuple(_as_list(raw.get("near") or raw.get("any"), where))
            if "any" in raw and len(names) != 1:
                raise VocabularyError(f"{where}: 'any' takes one class")
            unless = tuple(_as_list(raw.get("unless"), where))
            for cls in names + unless:
                if cls not in classes:
                    raise VocabularyError(f"{where}: unknown class {cls!r}")
            window = int(raw.get("window", settings["window"]))
            finders.append(Finder(names, window, unless,
                                  int(raw.get("unless_window", max(window, 6))),
                                  bool(raw.get("across_sentences", False))))
        if not finders:
            raise VocabularyError(f"sign {name}: nothing to find it by")
        signs[name] = Sign(name, str(spec.get("label") or name.replace("_", " ")),
                           str(spec.get("description") or ""), bool(spec.get("modifier")),
                           tuple(finders), bool(spec.get("report", not spec.get("modifier"))),
                           bool(spec.get("counts_when_over", False)))
    rules = []
    for i, raw in enumerate(_as_list(data["rules"], "rules")):
        where = f"rule #{i + 1}"
        if not isinstance(raw, dict) or raw.get("level") not in LEVELS[1:]:
            raise VocabularyError(f"{where}: needs a level above none")
        unknown = set(raw) - {"level", "all", "any", "none", "comment"}
        if unknown:
            raise VocabularyError(f"{where}: unknown keys {sorted(unknown)}")
        all_of = frozenset(_as_list(raw.get("all"), where))
        any_of = frozenset(_as_list(raw.get("any"), where))
        none_of = frozenset(_as_list(raw.get("none"), where))
        if not all_of and not any_of:
            raise VocabularyError(f"{where}: needs 'all' or 'any'")
        for sign in all_of | any_of | none_of:
            if sign not in signs:
                raise VocabularyError(f"{where}: unknown sign {sign!r}")
        rules.append(LevelRule(raw["level"], all_of, any_of, none_of,
                               str(raw.get("comment") or "")))
    for name, sign in signs.items():
        if not sign.modifier and not any(name in r.all_of | r.any_of for r in rules):
            raise VocabularyError(f"sign {name} is in no rule: mark it 'modifier: true' "
                                  "or give it a rule")
    for group, spec in (data.get("second_opinion") or {}).items():
        if not isinstance(spec, dict) or not spec.get("signs") or not spec.get("ask"):
            raise VocabularyError(f"second_opinion {group}: needs signs and ask")
        for sign in spec["signs"]:
            if sign not in signs:
                raise VocabularyError(f"second_opinion {group}: unknown sign {sign!r}")
        if not any(vocabulary_level_of(rules, spec["signs"])):
            raise VocabularyError(f"second_opinion {group}: its signs escalate to nothing")
        threshold = spec.get("min_probability", 0.5)
        if not isinstance(threshold, (int, float)) or not 0.5 <= threshold < 1:
            raise VocabularyError(f"second_opinion {group}: min_probability must be "
                                  "a number from 0.5 to below 1")
    spellings = {}
    for wrong, right in (data.get("misspellings") or {}).items():
        spellings[str(wrong).lower()] = str(right).lower()
    abbreviations = {str(k).lower(): tuple(_normalise_words(str(v)))
                     for k, v in (data.get("abbreviations") or {}).items()}
    sign_classes = frozenset(cls for sign in signs.values() for finder in sign.finders
                             for cls in finder.classes)
    blocked_by = {}
    for name, (what, spared) in blocking.items():
        targets = set(_as_list(what, f"class {name} blocks")) if what is not True else set(
            sign_classes)
        targets -= set(spared)
        for target in targets:
            if target not in classes:
                raise VocabularyError(f"class {name} blocks unknown class {target!r}")
        blocked_by[name] = frozenset(targets - {name})
    vocabulary = Vocabulary(classes, frozenset(blocking), signs, tuple(rules), spellings,
                            abbreviations, settings, blocked_by=blocked_by,
                            sign_classes=sign_classes,
                            context_classes=frozenset(data.get("not_negated") or ()))
    _index(vocabulary, data.get("context_classes") or [])
    return vocabulary


class _Node:
    """A node of the term trie: the words that may follow, and the classes ending here."""

    __slots__ = ("exact", "prefixes", "number", "ends")

    def __init__(self) -> None:
        self.exact: dict[str, _Node] = {}
        self.prefixes: dict[str, _Node] = {}
        self.number: _Node | None = None
        self.ends: list[str] = []

    def child(self, pattern: str) -> "_Node":
        if pattern == "#":
            if self.number is None:
                self.number = _Node()
            return self.number
        table = self.prefixes if pattern.endswith("*") else self.exact
        key = pattern[:-1] if pattern.endswith("*") else pattern
        if key not in table:
            table[key] = _Node()
        return table[key]

    def next_nodes(self, word: str) -> list["_Node"]:
        found = []
        node = self.exact.get(word)
        if node is not None:
            found.append(node)
        if self.prefixes:
            if len(self.prefixes) <= len(word):
                found.extend(n for p, n in self.prefixes.items() if word.startswith(p))
            else:
                for length in range(1, len(word) + 1):
                    node = self.prefixes.get(word[:length])
                    if node is not None:
                        found.append(node)
        if self.number is not None and _NUMBER.fullmatch(word):
            found.append(self.number)
        return found


def vocabulary_level_of(rules: Sequence[LevelRule], signs: Iterable[str]) -> list[str]:
    """The levels of the rules that ``signs`` fire (for checking the file)."""
    present = frozenset(signs)
    return [rule.level for rule in rules if rule.fires(present)]


def _index(vocabulary: Vocabulary, context_classes: Sequence[str]) -> None:
    root = _Node()
    known: set[str] = set()
    fuzzy: dict[str, set[str]] = defaultdict(set)
    min_length = int(vocabulary.settings["fuzzy_min_length"])
    for name, terms in vocabulary.classes.items():
        for term in terms:
            node = root
            for pattern in term.words:
                node = node.child(pattern)
            if name not in node.ends:
                node.ends.append(name)
            for word in term.words:
                plain = word.rstrip("*")
                known.add(plain)
                if (name in vocabulary.sign_classes and len(plain) >= min_length
                        and word == plain):
                    for variant in _deletions(plain) | {plain}:
                        fuzzy[variant].add(plain)
    vocabulary.trie = root
    vocabulary.fuzzy_index = dict(fuzzy)
    vocabulary.known_words = frozenset(known)


@lru_cache(maxsize=4)
def load_vocabulary(path: Path = DEFAULT_VOCABULARY_PATH) -> Vocabulary:
    """Load, check and index the knowledge file (cached)."""
    with open(path, encoding="utf-8") as handle:
        return parse_vocabulary(strict_yaml.load(handle))


# -------------------------------------------------------------------- words


_CONTRACTIONS: dict[str, tuple[str, ...]] = {
    "can't": ("can", "not"), "cant": ("can", "not"), "cannot": ("can", "not"),
    "won't": ("will", "not"), "wont": ("will", "not"), "ain't": ("is", "not"),
    "i'm": ("i", "am"), "im": ("i", "am"), "i've": ("i", "have"), "ive": ("i", "have"),
    "i'd": ("i", "would"), "i'll": ("i", "will"), "it's": ("it", "is"), "its": ("it", "is"),
    "that's": ("that", "is"), "thats": ("that", "is"), "there's": ("there", "is"),
    "theres": ("there", "is"), "what's": ("what", "is"), "whats": ("what", "is"),
    "he's": ("he", "is"), "she's": ("she", "is"), "they're": ("they", "are"),
    "theyre": ("they", "are"), "you're": ("you", "are"), "youre": ("you", "are"),
    "we're": ("we", "are"), "who's": ("who", "is"), "let's": ("let", "us"),
}
_NT_WORDS = {"don", "didn", "doesn", "isn", "aren", "wasn", "weren", "haven", "hasn",
             "hadn", "couldn", "shouldn", "wouldn", "mustn", "needn", "mightn"}


def _split_nt(token: str) -> tuple[str, ...] | None:
    """"didn't" / "didnt" -> ("did", "not")."""
    base = None
    if token.endswith("n't"):
        base = token[:-3]
    elif token.endswith("nt") and token[:-2] + "n" in _NT_WORDS:
        base = token[:-2]
    if base is None or base + "n" not in _NT_WORDS:
        return None
    return (base if base != "wo" else "will", "not")


@dataclass(frozen=True)
class Token:
    text: str
    start: int  # characters in the message
    end: int
    after_break: bool = False  # a single line break before it: a new clause


def tokenise(text: str, vocabulary: Vocabulary, english: frozenset[str] | None = None
             ) -> list[Token]:
    """The message's words, spelt out and corrected, with their character spans."""
    # Lower case letter by letter, keeping each character's place ("İ".lower() is two).
    lowered = "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in text)
    tokens: list[Token] = []
    breaks = 0  # line breaks since the last word

    def add(word: str, start: int, end: int) -> None:
        nonlocal breaks
        if breaks >= 2 and tokens:
            tokens.append(Token("¶", start, start))  # a blank line ends everything
        tokens.append(Token(word, start, end, after_break=breaks == 1))
        breaks = 0

    for match in _TOKEN.finditer(lowered):
        raw = match.group().replace("’", "'")
        start, end = match.span()
        if raw == "\n":
            breaks += 1
            continue
        if raw[0] in ".…":
            # An ellipsis going on in lower case is a pause, not the end of a sentence
            # ("my period just... stopped coming"): a clause break, as a comma is.
            pause = (raw[0] == "…" or len(raw) >= 2) and _continues_lower(text, end)
            add("," if pause else ".", start, end)
        elif raw[0] in "!?;":
            add("?" if "?" in raw else raw[0], start, end)
        elif not raw[0].isalnum():
            add(raw[0], start, end)  # a run of the same punctuation is one token
        else:
            for piece in raw.split("-"):  # "light-headed" is "light headed"
                if piece == "hr" and not (tokens and (tokens[-1].text in _HOUR_BEFORE
                                                      or tokens[-1].text[0].isdigit())):
                    add("hr", start, end)  # "my HR was through the roof": heart rate
                    continue
                if piece:
                    for word in _spell(piece, vocabulary, english):
                        add(word, start, end)
    return tokens


def _continues_lower(text: str, end: int) -> bool:
    """The next non-space character after ``end`` (on the same line) is a lower-case letter."""
    for ch in text[end:end + 4]:
        if ch in " \t":
            continue
        return ch.isalpha() and ch.islower()
    return False


def _spell(raw: str, vocabulary: Vocabulary, english: frozenset[str] | None) -> tuple[str, ...]:
    if raw in vocabulary.abbreviations:
        return vocabulary.abbreviations[raw]
    expanded = _CONTRACTIONS.get(raw) or _split_nt(raw)
    if expanded:
        return expanded
    if raw.endswith("'s") and len(raw) > 2:
        # "dad's" is "father is", as "dad" is "father"
        base = raw[:-2]
        return (*vocabulary.abbreviations.get(base, (base,)), "is")
    for ending, word in (("'ll", "will"), ("'d", "would"), ("'ve", "have"), ("'re", "are")):
        if raw.endswith(ending) and len(raw) > len(ending):
            return (raw[:-len(ending)], word)
    if "'" in raw:
        raw = raw.replace("'", "")
    word = raw
    if _REPEAT3.search(word):
        word = _REPEAT3.sub(r"\1\1", word)
        if word not in vocabulary.known_words:
            single = _REPEAT3.sub(r"\1", raw)
            if single in vocabulary.known_words:
                word = single
    word = vocabulary.spellings.get(word, word)
    if (word not in vocabulary.known_words
            and len(word) >= int(vocabulary.settings["fuzzy_min_length"])
            and not word.isdigit() and (english is None or word not in english)):
        candidates = set()
        for variant in _deletions(word) | {word}:
            candidates |= vocabulary.fuzzy_index.get(variant, set())
        close = sorted(c for c in candidates
                       if c[0] == word[0] and _osa_distance_at_most_one(word, c))
        if len(close) == 1:
            word = close[0]
    return (word,)


# ------------------------------------------------------------------ matching


@dataclass(frozen=True)
class Hit:
    """An occurrence of a word class: token positions [start, end)."""

    word_class: str
    start: int
    end: int


def find_classes(tokens: Sequence[Token], vocabulary: Vocabulary) -> dict[str, list[Hit]]:
    """Every occurrence of every word class; blocked words removed from the others.

    Terms are matched through a trie of their words, so each position costs the
    length of the longest term, whatever the size of the vocabulary. A term may
    run across one line break (a wrapped line: line breaks are not tokens), never
    across a blank line (a "¶" token).
    """
    words = [t.text for t in tokens]
    n = len(words)
    found: dict[str, list[Hit]] = defaultdict(list)
    root = vocabulary.trie
    assert root is not None
    for i, word in enumerate(words):
        if word == "¶":
            continue
        frontier = [(node, i + 1) for node in root.next_nodes(word)]
        while frontier:
            node, position = frontier.pop()
            for name in node.ends:
                found[name].append(Hit(name, i, position))
            if position < n and (node.exact or node.prefixes or node.number):
                frontier.extend((child, position + 1)
                                for child in node.next_nodes(words[position]))
    for blocker, targets in vocabulary.blocked_by.items():
        blocked: set[int] = set()
        for hit in found.get(blocker, ()):
            blocked.update(range(hit.start, hit.end))
        if not blocked:
            continue
        for name in targets:
            if name in found:
                found[name] = [h for h in found[name]
                               if not any(p in blocked for p in range(h.start, h.end))]
    for hits in found.values():
        hits.sort(key=lambda h: (h.start, h.end))
    return found


# ------------------------------------------------------------------ findings


@dataclass(frozen=True)
class SignMention:
    sign: str
    status: Status
    start: int  # token positions
    end: int
    start_char: int
    end_char: int
    text: str
    # The characters of each word of the sign's parts, in the message.
    words: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class RedFlagFindings:
    mentions: tuple[SignMention, ...]
    affirmed: frozenset[str]
    hedged: frozenset[str]
    negated: frozenset[str]
    asked_about: frozenset[str]
    level: str  # of the affirmed signs only

    @property
    def escalates(self) -> bool:
        return self.level != "none"


class _Sentences:
    """Sentence and clause boundaries over the tokens."""

    def __init__(self, tokens: Sequence[Token], hits: Mapping[str, list[Hit]]) -> None:
        n = len(tokens)
        self.sentence_of = [0] * n
        sentence = 0
        self.starts = [0]
        for i, token in enumerate(tokens):
            self.sentence_of[i] = sentence
            if token.text in _SENTENCE_END or token.text in (".", "¶"):
                sentence += 1
                self.starts.append(i + 1)
        # Clause breaks: sentence ends, line breaks, and the class clause_break.
        self.clause_of = [0] * n
        breaks = {h.start for h in hits.get("clause_break", ())}
        clause = 0
        self.clause_start = [0] * n
        for i, token in enumerate(tokens):
            if i in breaks or token.after_break or token.text in (",", "(", ")", ":"):
                clause += 1
            self.clause_of[i] = clause
            self.clause_start[i] = i if i == 0 or self.clause_of[i - 1] != clause else (
                self.clause_start[i - 1])
            if token.text in _SENTENCE_END or token.text in (".", "¶"):
                clause += 1

    def same_sentence(self, a: int, b: int) -> bool:
        return self.sentence_of[a] == self.sentence_of[b]


class RedFlagDetector:
    """Finds warning signs in a message and the escalation level they call for."""

    def __init__(self, nlp: Any = None, vocabulary: Vocabulary | None = None) -> None:
        # ``nlp`` is accepted for the callers that still pass a spaCy pipeline; the
        # detector reads the text itself.
        self.nlp = nlp
        self.vocabulary = vocabulary or load_vocabulary()
        self._english = _english_words()

    def detect_text(self, text: str) -> RedFlagFindings:
        tokens = tokenise(text, self.vocabulary, self._english)
        return self._detect(text, tokens)

    def detect(self, doc: Any) -> RedFlagFindings:
        """Compatibility with callers holding a spaCy ``Doc``: reads its text."""
        return self.detect_text(doc.text)

    # -- steps -------------------------------------------------------------
    def _detect(self, text: str, tokens: list[Token]) -> RedFlagFindings:
        vocab = self.vocabulary
        hits = find_classes(tokens, vocab)
        sentences = _Sentences(tokens, hits)
        starts = {name: [h.start for h in found] for name, found in hits.items()}
        raw: list[tuple[str, tuple[Hit, ...]]] = []
        for sign in vocab.signs.values():
            for finder in sign.finders:
                raw.extend((sign.name, parts) for parts in
                           self._find(finder, hits, starts, sentences))
        # Where findings start (for lists after a negation); modifiers such as "one
        # leg" or "after a long journey" are not findings.
        findings_at = sorted({parts[0].start for name, parts in raw
                              if not vocab.signs[name].modifier})
        used = [part for _, parts in raw for part in parts]
        context = _Context(tokens, hits, sentences, vocab, findings_at, used)
        mentions: list[SignMention] = []
        seen: set[tuple[str, int]] = set()
        # A word inside a longer mention of the same sign ("needles" in "pins and
        # needles") is not a mention of its own: a sweep over each sign's spans.
        spans: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for name, parts in raw:
            spans[name].append((min(p.start for p in parts), max(p.end for p in parts)))
        inside: set[tuple[str, int, int]] = set()
        for name, found in spans.items():
            reach = -1
            for first, last in sorted(set(found), key=lambda span: (span[0], -span[1])):
                if last <= reach:
                    inside.add((name, first, last))
                reach = max(reach, last)
        ordered = sorted(raw, key=lambda m: (m[1][0].start, m[0]))
        # A mention inside a longer one of the same sign ("needles" in "pins and needles")
        # is not one of its own, unless no reading of the sign is said and this tighter
        # one is ("can't sit on the loo, and wee is brown": the loo is denied, the wee not)
        kept: list[tuple[int, str, tuple[Hit, ...], str]] = []
        tighter: list[tuple[int, str, tuple[Hit, ...]]] = []
        for order, (name, parts) in enumerate(ordered):
            first = min(p.start for p in parts)
            last = max(p.end for p in parts)
            if (name, first) in seen:
                continue
            if (name, first, last) in inside:
                tighter.append((order, name, parts))
                continue
            seen.add((name, first))
            kept.append((order, name, parts, context.status(name, parts)))
        said = {name for _, name, _, status in kept if status == "affirmed"}
        for order, name, parts in tighter:
            first = min(p.start for p in parts)
            if name in said or (name, first) in seen:
                continue
            status = context.status(name, parts)
            if status == "affirmed":
                seen.add((name, first))
                kept.append((order, name, parts, status))
        for _, name, parts, status in sorted(kept, key=lambda k: k[0]):
            first = min(p.start for p in parts)
            last = max(p.end for p in parts)
            words = tuple(sorted({(tokens[i].start, tokens[i].end) for part in parts
                                  for i in range(part.start, part.end)}))
            # The characters of the finding itself (the first part: "swollen" in "my
            # calf is swollen"), for the entity the runner's message is marked with.
            anchor = parts[0]
            begin, finish = tokens[anchor.start].start, tokens[anchor.end - 1].end
            mentions.append(SignMention(name, status, first, last, begin, finish,
                                        text[begin:finish], words))
        affirmed = {m.sign for m in mentions if m.status == "affirmed"}
        hedged = {m.sign for m in mentions if m.status == "hedged"} - affirmed
        negated = {m.sign for m in mentions if m.status == "negated"} - affirmed - hedged
        asked = {m.sign for m in mentions if m.status in ("question", "hypothetical")}
        asked -= affirmed | hedged
        return RedFlagFindings(tuple(mentions), frozenset(affirmed), frozenset(hedged),
                               frozenset(negated), frozenset(asked), vocab.level_for(affirmed))

    @staticmethod
    def _find(finder: Finder, hits: Mapping[str, list[Hit]],
              starts: Mapping[str, list[int]], sentences: _Sentences
              ) -> Iterable[tuple[Hit, ...]]:
        """The parts (one hit per class) of each mention this finder finds."""
        first, *others = finder.classes
        for hit in hits.get(first, ()):
            parts = [hit]
            for other in others:
                near = [i for i in range(*_near_range(starts.get(other, []), hit.start,
                                                         finder.window))
                        if (finder.across_sentences
                            or sentences.same_sentence(hits[other][i].start, hit.start))
                        and not _overlaps(hits[other][i], hit)]
                if not near:
                    break
                parts.append(hits[other][min(near, key=lambda i: abs(
                    hits[other][i].start - hit.start))])
            else:
                if any(sentences.same_sentence(hits[cls][i].start, hit.start)
                       and not any(_overlaps(hits[cls][i], part) for part in parts)
                       for cls in finder.unless
                       for i in range(*_near_range(starts.get(cls, []), hit.start,
                                                   finder.unless_window))):
                    continue
                yield tuple(parts)


def _near_range(starts: list[int], position: int, window: int) -> tuple[int, int]:
    """Indexes of the hits starting within ``window`` words of ``position``."""
    return (bisect.bisect_left(starts, position - window),
            bisect.bisect_right(starts, position + window))


def _overlaps(a: Hit, b: Hit) -> bool:
    return a.start < b.end and b.start < a.end


def _within(a: Hit, b: Hit) -> bool:
    """``a``'s words are all words of ``b``."""
    return b.start <= a.start and a.end <= b.end


class _Near:
    """Hits of one class, found by position in O(log n)."""

    def __init__(self, hits: Sequence[Hit]) -> None:
        self.hits = list(hits)
        self.starts = [h.start for h in self.hits]

    def between(self, low: int, high: int) -> list[Hit]:
        """The hits starting at ``low`` ... ``high`` (inclusive)."""
        return self.hits[bisect.bisect_left(self.starts, low):
                         bisect.bisect_right(self.starts, high)]


# How far (in words) a context word may stand from the sign it speaks of. Bounded, so
# that the work per sign is bounded too, whatever the length of the message.
_REACH = 25


class _Context:
    """The status of a sign mention, from the context classes around its parts."""

    def __init__(self, tokens: Sequence[Token], hits: Mapping[str, list[Hit]],
                 sentences: _Sentences, vocab: Vocabulary, mention_starts: list[int],
                 used_parts: Sequence[Hit] = ()) -> None:
        self.tokens = tokens
        self.sentences = sentences
        self.vocab = vocab
        self.window = int(vocab.settings["negation_window"])
        pseudo: set[int] = set()
        for hit in hits.get("not_a_negation", ()):
            pseudo.update(range(hit.start, hit.end))
        negations = [h for h in hits.get("negation", ()) if h.start not in pseudo]
        self.negations = _Near(negations)
        # Negation words inside the words of a found sign ("can not feel", "no sweat").
        cue_positions = {h.start for h in negations}
        self.sign_phrase_cues = {p for hit in used_parts if hit.end - hit.start > 1
                                 for p in range(hit.start, hit.end) if p in cue_positions}
        self.break_starts = {h.start for h in hits.get("clause_break", ())}
        # "the swelling is gone" (end of the clause), not "my urine is gone dark".
        final = [h for h in hits.get("negation_after_final", ())
                 if h.end >= len(tokens) or tokens[h.end].text in (".", "?", "!", ";", ",", "¶")
                 or tokens[h.end].after_break or h.end in self.break_starts]
        # "sore for no reason": a pseudo-negation denies nothing after the sign either
        self.negations_after = _Near(sorted(
            [h for h in [*hits.get("negation_after", []), *final] if h.start not in pseudo],
            key=lambda h: h.start))
        self.separators_before = [0]
        for token in tokens:
            self.separators_before.append(self.separators_before[-1] + (
                token.text in (",", "or", "and", "/")))
        self._broken: dict[tuple[int, int], bool] = {}
        self._negation_memo: dict[tuple[Any, ...], bool] = {}
        self.clause_openers = vocab.word_set("clause_opener")
        self.fillers = vocab.word_set("filler") | {",", "-", ":"}
        self.bridges = vocab.word_set("negation_bridge")
        self.finding_words = sorted({h.start for name in vocab.sign_classes - vocab.context_classes
                                     for h in hits.get(name, ())})
        self.own = sorted(h.start for name in ("first_person", "own_body")
                          for h in hits.get(name, ()))
        self._class_near = {name: _Near(found) for name, found in hits.items()
                            if name in vocab.sign_classes}
        self._used = _Near(sorted(used_parts, key=lambda h: h.start))
        self._sign_classes: dict[str, frozenset[str]] = {}
        self.near = {name: _Near(hits.get(name, ())) for name in (
            "negation_cancelled_by", "someone_else", "past", "resolved", "hypothetical",
            "if_word", "asked_about_after", "hypothetical_after", "owned_after",
            "question_opener", "states_own", "hedge", "hedge_after", "hedge_outlasted",
            "cause_question")}

    def status(self, sign: str, parts: Sequence[Hit]) -> Status:
        start = min(p.start for p in parts)
        end = max(p.end for p in parts)
        findings = [p for p in parts if p.word_class not in self.vocab.context_classes] or parts
        spans = tuple((p.start, p.end) for p in parts)
        if any(self._negated_cached(part, parts, spans) for part in findings):
            return "negated"
        if self._someone_else(start, end):
            return "other"
        # "at the hot 10k the runner next to me stopped sweating": the setting said before
        # the person is not the runner's; the finding itself is the other person's
        anchor = parts[0]
        if (anchor.start > start and anchor.word_class not in self.vocab.context_classes
                and not self._own_between(self._sentence_start(start), anchor.start)
                and self._someone_else(anchor.start, end)):
            return "other"
        # A time word that is one of the ways the sign itself is said says it goes on
        # ("only a dribble came out, nothing since": still no urine), not that it is over.
        own = self._own_words(sign, start, end, parts)
        if self.vocab.signs[sign].counts_when_over if sign in self.vocab.signs else False:
            if self._in_clause(start, end, "past", unless="resolved", own=own):
                return "past"
        elif (self._in_clause(start, end, "past", own=own)
              or self._in_clause_with("resolved", start, end, own=own)):
            return "past"
        # "if i got a sore spot that kept getting worse, would that be...": words of the
        # supposition itself do not make it the runner's
        supposed = self._hypothetical(start, end)
        if supposed and not self._owned_after(end, outside=supposed is True):
            return "hypothetical"
        if self._question(start) and not self._owned_after(end):
            return "question"
        # Only a sign that on its own calls for a professional can be checked with a
        # question; a hedged emergency or urgent sign counts ("prob nothing but...").
        # A modifier (drank a lot, after a race) is context, not a sign to check: "I
        # think I over-drank" still counts with the headache it comes with.
        modifier = sign in self.vocab.signs and self.vocab.signs[sign].modifier
        # A hedge of a sign said to keep coming back or to last ("sort of tingly after
        # every run, a week of it") describes the feeling: the runner is not unsure of it.
        if (not modifier and any(self._hedged(part.start, part.end) for part in parts)
                and level_rank(self.vocab.level_for([sign])) <= 1
                and not self._outlasts_hedge(start, end)):
            return "hedged"
        return "affirmed"

    def _own_words(self, sign: str, start: int, end: int, parts: Sequence[Hit]
                   ) -> list[Hit]:
        """The mention's parts and, near it, any word of the classes its sign is found by
        and the words of the other signs found."""
        own = [*parts, *self._used.between(start - _REACH, end + _REACH)]
        spec = self.vocab.signs.get(sign)
        if spec is not None:
            for name in self._sign_classes.setdefault(sign, frozenset(
                    cls for finder in spec.finders for cls in finder.classes)):
                near = self._class_near.get(name)
                if near is not None:
                    own.extend(near.between(start - _REACH, end + _REACH))
        return own

    # -- negation ----------------------------------------------------------
    def _negated_cached(self, part: Hit, parts: Sequence[Hit],
                        spans: tuple[tuple[int, int], ...]) -> bool:
        """Many signs share a word ("pain" is pain, calf pain, chest pain...)."""
        key = (part.start, part.end, spans)
        if key not in self._negation_memo:
            self._negation_memo[key] = self._negated(part, parts)
        return self._negation_memo[key]

    def _negated(self, part: Hit, parts: Sequence[Hit]) -> bool:
        s = self.sentences
        reach = self.window + 12  # the window plus the longest list allowance
        for cue in self.negations.between(part.start - reach, part.start - 1):
            if cue.end > part.start or not s.same_sentence(cue.start, part.start):
                continue
            if any(_overlaps(cue, other) for other in parts):
                continue  # part of the sign itself ("can not move it")
            if cue.start in self.sign_phrase_cues:
                continue  # part of a sign's own phrase ("can not lift", "not able to hold")
            allowance = min(12, self._list_allowance(cue.end, part.start))
            if part.start - cue.end > self.window + allowance:
                continue
            if self._scope_broken(cue, part.start) or self._cancelled(part):
                continue
            return True
        for cue in self.negations_after.between(part.end, part.end + 3):
            if any(_overlaps(cue, other) for other in parts):
                continue
            answered = self.tokens[cue.start].text in (":", "?", "-", "=")
            if answered or s.clause_of[cue.start] == s.clause_of[part.end - 1]:
                return True
        return False

    def _cancelled(self, part: Hit) -> bool:
        """ "never had pain like this before": the "never" does not deny the pain."""
        return bool(self.near["negation_cancelled_by"].between(part.end, part.end + 6))

    def _list_allowance(self, a: int, b: int) -> int:
        """Extra reach for a list ("no pain, swelling, redness or tingling")."""
        return 3 * (self.separators_before[b] - self.separators_before[a])

    def _starts_a_mention(self, a: int, b: int) -> bool:
        low = bisect.bisect_left(self.finding_words, a)
        return low < len(self.finding_words) and self.finding_words[low] <= b

    def _goes_straight_to_a_sign(self, cue: Hit) -> bool:
        """ "no pain", "don't have any swelling": only bridging words between."""
        position = cue.end
        while position < len(self.tokens) and position - cue.end <= 4:
            if self._starts_a_mention(position, position):
                return True
            if self.tokens[position].text not in self.bridges:
                return False
            position += 1
        return False

    def _scope_broken(self, cue: Hit, b: int) -> bool:
        key = (cue.start, b)
        if key not in self._broken:
            self._broken[key] = self._compute_scope_broken(cue, b)
        return self._broken[key]

    def _compute_scope_broken(self, cue: Hit, b: int) -> bool:
        """Whether a clause starts between the cue and position ``b``.

        A separator (comma, "and", "or") continues a list only when the negation
        went straight to a sign ("no pain, swelling or tingling") and a sign follows
        the separator; "my brain is not working, forgot my son's name" is two clauses.
        """
        listing = self._goes_straight_to_a_sign(cue)
        for i in range(cue.end, b):
            text = self.tokens[i].text
            if i in self.break_starts or text in (".", "(", ")") or (
                    i > cue.end and self.tokens[i].after_break) or (
                    i + 1 <= b and i + 1 < len(self.tokens) and self.tokens[i + 1].after_break):
                return True
            if text == "i" and i > cue.end:  # "I don't have swelling I have tingling"
                return True
            if text in (",", "and", "or", "-", "(", ")") and i + 1 <= b:
                nxt = self.tokens[i + 1].text if i + 1 < len(self.tokens) else ""
                if nxt in self.clause_openers:
                    return True
                if not (listing and self._starts_a_mention(i + 1, i + 3)):
                    return True
        return False

    # -- other contexts ----------------------------------------------------
    def _in_clause(self, start: int, end: int, name: str, unless: str | None = None,
                   own: Sequence[Hit] = ()) -> bool:
        """A word of ``name`` in the mention's clause (not one that is also a word of
        ``unless``: "feel fine now" is both past and resolved; not one of the sign's own
        words, ``own``)."""
        clause = self.sentences.clause_of
        skip = ({(h.start, h.end) for h in self.near[unless].between(start - _REACH, end + _REACH)}
                if unless else set())
        return any(clause[h.start] in (clause[start], clause[end - 1])
                   and (h.start, h.end) not in skip
                   and not any(_within(h, part) for part in own)
                   for h in self.near[name].between(start - _REACH, end + _REACH))

    def _in_clause_with(self, name: str, start: int, end: int,
                        own: Sequence[Hit] = ()) -> bool:
        """A word of ``name`` in the mention's clause, or in its sentence with no clause
        break ("now", "but", "again", ...) between: "had a DVT when pregnant, four
        years ago, fully resolved" is past; "a DVT in 2019 and now my calf is swollen"
        is not."""
        s = self.sentences
        for hit in self.near[name].between(start - _REACH, end + _REACH):
            if any(_within(hit, part) for part in own):
                continue
            if s.clause_of[hit.start] in (s.clause_of[start], s.clause_of[end - 1]):
                return True
            if s.same_sentence(hit.start, start):
                low, high = sorted((hit.start, start))
                if not any(b in self.break_starts for b in range(low + 1, high)):
                    return True
        return False

    def _someone_else(self, start: int, end: int) -> bool:
        """A person other than the runner is the subject, and the runner not named since.

        "my wife says I'm slurring" is the runner; "the bloke I run with passed out"
        and "a guy in my club got rhabdo" are not.
        """
        s = self.sentences
        # "turned out to be a clot in his leg": another person's body right after the sign
        for cue in self.near["someone_else"].between(end, end + 2):
            if (self.tokens[cue.start].text in _OTHERS_POSSESSIVE and cue.start > 0
                    and self.tokens[cue.start - 1].text in ("in", "on", "of")
                    and s.clause_of[cue.start] == s.clause_of[end - 1]):
                return True
        for cue in self.near["someone_else"].between(start - _REACH, start - 1):
            if not s.same_sentence(cue.start, start):
                continue
            low = bisect.bisect_right(self.own, cue.end)
            if low >= len(self.own) or self.own[low] >= end:
                # "the bloke I run with" is still the bloke; "with my coach I felt" is
                # the runner: an own statement ("I felt", "I have") right after the person
                if not any(h.end - h.start >= 2 and s.same_sentence(h.start, start)
                           for h in self.near["states_own"].between(cue.end, start - 1)):
                    return True
        return False

    def _sentence_start(self, position: int) -> int:
        s = self.sentences
        sentence = s.sentence_of[position]
        return s.starts[sentence] if sentence < len(s.starts) else 0

    def _own_between(self, low: int, high: int) -> bool:
        """The runner ("I", "my ankles") named from ``low`` to before ``high``."""
        i = bisect.bisect_left(self.own, low)
        return i < len(self.own) and self.own[i] < high

    def _hypothetical(self, start: int, end: int) -> bool | str:
        """True for a supposition; ``_ASKED_IF`` for an "if" inside a question ("what
        does it mean if the pain in my leg is getting worse?"), which the runner's own
        words in the same clause can make a statement."""
        s = self.sentences
        for cue in self.near["asked_about_after"].between(end, end + 2):
            if s.same_sentence(cue.start, start):
                return True
        # "would a stress fracture stop me racing if I got one now?": a supposition said
        # after the sign, in a question
        for cue in self.near["hypothetical_after"].between(end, end + 12):
            if s.same_sentence(cue.start, start) and self._is_question_sentence(start):
                return True
        for cue in self.near["hypothetical"].between(start - _REACH, start - 1):
            # "could be a bug I suppose, but I downed so much water": "but" ends the
            # supposing; what follows is said as fact.
            if s.same_sentence(cue.start, start) and not any(
                    i in self.break_starts for i in range(cue.end, start)):
                # "anyone know why my calf would be hard": asking the cause of a sign
                # the runner has, not supposing one
                if self.tokens[cue.start].text == "would" and any(
                        s.same_sentence(why.start, cue.start)
                        for why in self.near["cause_question"].between(cue.start - 8,
                                                                       cue.start - 1)):
                    continue
                return True
        sentence = s.sentence_of[start]
        first = s.starts[sentence] if sentence < len(s.starts) else 0
        for cue in self.near["if_word"].between(start - _REACH, start - 1):
            if s.same_sentence(cue.start, start) and cue.start <= first + 1:
                return True
        for cue in self.near["if_word"].between(start - _REACH, start - 1):
            if s.same_sentence(cue.start, start) and self._is_question_sentence(start):
                return _ASKED_IF
        return False

    def _owned_after(self, end: int, outside: bool = False) -> bool:
        """ "is chest pain after a run normal? I keep getting it": the runner's own
        (with ``outside``, only when said outside the mention's clause)."""
        clause = self.sentences.clause_of
        return any(not outside or clause[hit.start] != clause[end - 1]
                   for hit in self.near["owned_after"].between(end, end + 16))

    def _is_question_sentence(self, position: int) -> bool:
        """The sentence, or the clause, opens with a question word or auxiliary ("is",
        "should I", "when", "anyone"; "..., how would a clot show itself?"). A
        question mark alone does not make a question: runners end statements with
        "?" ("lips look a bit blue?")."""
        s = self.sentences
        sentence = s.sentence_of[position]
        openings = {s.starts[sentence] if sentence < len(s.starts) else 0,
                    s.clause_start[position]}
        for first in openings:
            for hit in self.near["question_opener"].between(first, first + 3):
                # "can't feel my foot", "isn't going away", "can barely breathe" are
                # statements.
                if hit.end < len(self.tokens) and self.tokens[hit.end].text in _STATEMENT_AFTER:
                    continue
                # "when I stood up I fainted", "what I didn't expect was...", "which means
                # I have...": a question word followed by the runner as the subject opens a
                # clause that tells, unless the sentence is asked ("?").
                if (hit.end - hit.start == 1 and self.tokens[hit.start].text in _WH_WORDS
                        and hit.end < len(self.tokens)
                        and self.tokens[hit.end].text in _TELLING_AFTER_WH
                        and not self._asked(position)):
                    continue
                if all(self.tokens[i].text in self.fillers for i in range(first, hit.start)):
                    return True
        return False

    def _asked(self, position: int) -> bool:
        """The sentence holding ``position`` ends with a question mark."""
        s = self.sentences
        sentence = s.sentence_of[position]
        end = s.starts[sentence + 1] - 1 if sentence + 1 < len(s.starts) else len(self.tokens) - 1
        return end >= 0 and self.tokens[end].text == "?"

    def _question(self, start: int) -> bool:
        if not self._is_question_sentence(start):
            return False
        # A question about one's own sign states it: "is the swelling in my calf normal?"
        clause = self.sentences.clause_of
        return not any(clause[hit.start] == clause[start]
                       for hit in self.near["states_own"].between(start - 6, start + 6))

    def _outlasts_hedge(self, start: int, end: int) -> bool:
        s = self.sentences
        return any(s.same_sentence(hit.start, start)
                   for hit in self.near["hedge_outlasted"].between(start - _REACH, end + _REACH))

    def _hedged(self, start: int, end: int) -> bool:
        s = self.sentences
        for cue in self.near["hedge"].between(start - self.window - 4, start - 1):
            if (cue.end <= start and start - cue.end <= self.window
                    and s.same_sentence(cue.start, start) and not self._scope_broken(cue, start)):
                return True
        for cue in self.near["hedge_after"].between(end, end + 3):
            if s.same_sentence(cue.start, end - 1):
                return True
        # "sort of a tingly feeling in my toes maybe": a doubt at the end of the clause
        for cue in self.near["hedge_after"].between(end + 4, end + 8):
            if s.clause_of[cue.start] == s.clause_of[end - 1]:
                return True
        return False


# "hr" is an hour after a number or these ("1 hr", "an hr"); otherwise a heart rate
_HOUR_BEFORE = frozenset({"a", "an", "half", "per", "one", "two", "three", "few", "every",
                          "each", "another", "quarter", "1/2"})
_ASKED_IF = "asked if"
# "in his leg", "on her calf": another person's body
_OTHERS_POSSESSIVE = frozenset({"his", "her", "their"})
# After a question word ("can", "is", "does"), these make the clause a statement.
_STATEMENT_AFTER = frozenset({"not", "barely", "hardly", "only", "still", "literally", "be"})
# A question word followed by one of these opens a clause that tells ("when i stood up",
# "what i got was", "which means"), not a question, unless the sentence ends with "?".
_WH_WORDS = frozenset({"what", "when", "why", "how", "which", "where", "who"})
_TELLING_AFTER_WH = frozenset({"i", "my", "we", "our", "means", "meant", "happened", "it"})


@lru_cache(maxsize=1)
def _english_words() -> frozenset[str]:
    """Ordinary English words are never "corrected" into sign words."""
    try:
        from bot.nlu.unclear_text import english_words

        return english_words()
    except Exception:  # pragma: no cover - the lookups package is part of the install
        return frozenset()


# ------------------------------------------------------------------- helpers


def escalation_level(signs: Iterable[str], vocabulary: Vocabulary | None = None) -> str:
    """Escalation level for a set of affirmed sign names, from the level rules.

    Names the knowledge file no longer has (a conversation stored by an older
    version) take no part: the level already reached is kept by the caller anyway.
    """
    vocab = vocabulary or load_vocabulary()
    return vocab.level_for(s for s in signs if s in vocab.signs)


def describe_signs(signs: Iterable[str], vocabulary: Vocabulary | None = None) -> str:
    """A readable phrase for sign names, in the knowledge file's order.

    >>> describe_signs(["warmth", "swelling"])
    'swelling and warmth'
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

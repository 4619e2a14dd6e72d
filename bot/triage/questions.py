"""The follow-up questions (``bot/knowledge/questions.yml``): loading and checking.

Each question names the answer slot it fills, the values that slot can take with the
phrases that give each value (``anywhere``: read from any message; ``answer_only``: only
as the reply to this question, like "both" or "no"), the buttons, the text asked, asked
again when a reply can't be read, and said when the runner asks "why?", and when it may
be asked (``ask_when``; ``asked_if``). The loader refuses unknown keys, values that
no answer gives and buttons that give no value, so a typo fails loudly.

The choice of the next question and the reading of replies are in
:mod:`bot.triage.followups`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping

from bot import strict_yaml
from bot.triage.answers import NUMBER, QUESTIONS_PATH, slot_kinds
from bot.triage.answers import _raw_questions as raw_questions
from bot.triage.conditions import Condition, ConditionReader
from bot.triage.producible import SKIP_ANSWER

ASKED_IF = ("changes_ranking", "always")
_MULTIWORD_CHOICE = re.compile(r"\([^)]*\s[^)]*\)")
_QUESTION_KEYS = {"id", "slot", "kind", "priority", "ask", "ask_again", "why", "buttons",
                  "answers", "reads_weeks", "ask_when", "asked_if", "always_when", "title", "wins",
                  "combines"}
_TOP_KEYS = {"version", "max_followups", "enough_evidence", "questions"}


@dataclass(frozen=True)
class Button:
    title: str
    answer: str  # a value of the question's slot, or "dont_know" (skip)


@dataclass(frozen=True)
class Question:
    id: str
    title: str  # a few words, used when listing what the bot asked
    slot: str
    kind: str
    priority: int
    ask: str
    ask_again: str
    why: str
    buttons: tuple[Button, ...]
    anywhere: Mapping[str, tuple[str, ...]]
    answer_only: Mapping[str, tuple[str, ...]]
    reads_weeks: str | None
    ask_when: tuple[Condition, ...]
    asked_if: str
    wins: tuple[str, ...] = ()  # values that win when a reply says several
    combines: tuple[tuple[frozenset[str], str], ...] = ()  # values said together -> one
    # asked whenever one of these holds (and ask_when holds), even if the answer would not
    # change which cause comes first and the story already explains itself: for facts a
    # clinician always wants in that situation (medicines for an older runner's aches)
    always_when: tuple[Condition, ...] = ()

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*self.anywhere, *self.answer_only]))


@dataclass(frozen=True)
class QuestionSet:
    max_followups: int
    questions: tuple[Question, ...]
    # no follow-up (other than asked_if: always) once the first cause scores at least
    # leader_score and leads the second by at least lead_margin
    leader_score: float = float("inf")
    lead_margin: float = float("inf")

    def by_id(self, question_id: str | None) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)


def _text(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{QUESTIONS_PATH}: {where}: '{key}' must be a non-empty string")
    return " ".join(value.split())


def _phrases(raw: Any, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(p, str) and p.strip() for p in raw):
        raise ValueError(f"{QUESTIONS_PATH}: {where}: must be a list of phrases (quote yes, "
                         "no, on and off: YAML reads them as true/false)")
    for phrase in raw:
        if _MULTIWORD_CHOICE.search(phrase):
            raise ValueError(f"{QUESTIONS_PATH}: {where}: {phrase!r}: a (a|b) choice is "
                             "between single words; write one phrase per wording")
    return tuple(p.strip() for p in raw)


def _question(raw: Mapping[str, Any], reader: ConditionReader) -> Question:
    qid = raw.get("id")
    where = f"question {qid!r}"
    if not isinstance(qid, str) or not qid:
        raise ValueError(f"{QUESTIONS_PATH}: every question needs an 'id'")
    unknown = set(raw) - _QUESTION_KEYS
    if unknown:
        raise ValueError(f"{QUESTIONS_PATH}: {where}: unknown key(s) {sorted(unknown)}")
    anywhere: dict[str, tuple[str, ...]] = {}
    answer_only: dict[str, tuple[str, ...]] = {}
    for value, phrases in (raw.get("answers") or {}).items():
        if value == SKIP_ANSWER:
            raise ValueError(f"{QUESTIONS_PATH}: {where}: '{SKIP_ANSWER}' is not an answer value")
        if not isinstance(phrases, Mapping) or set(phrases) - {"anywhere", "answer_only"}:
            raise ValueError(f"{QUESTIONS_PATH}: {where}.answers.{value}: give 'anywhere' "
                             "and/or 'answer_only' phrase lists")
        anywhere[str(value)] = _phrases(phrases.get("anywhere"), f"{where}.answers.{value}")
        answer_only[str(value)] = _phrases(phrases.get("answer_only"),
                                           f"{where}.answers.{value}")
        if not anywhere[str(value)] and not answer_only[str(value)]:
            raise ValueError(f"{QUESTIONS_PATH}: {where}.answers.{value}: no phrase gives it")
    if not anywhere:
        raise ValueError(f"{QUESTIONS_PATH}: {where}: 'answers' is empty")
    buttons = []
    for i, button in enumerate(raw.get("buttons") or []):
        if not isinstance(button, Mapping) or set(button) != {"title", "answer"}:
            raise ValueError(f"{QUESTIONS_PATH}: {where}.buttons[{i}]: needs title and answer")
        if button["answer"] != SKIP_ANSWER and button["answer"] not in anywhere:
            raise ValueError(f"{QUESTIONS_PATH}: {where}.buttons[{i}]: answer "
                             f"{button['answer']!r} is not one of {sorted(anywhere)}")
        buttons.append(Button(_text(button, "title", f"{where}.buttons[{i}]"),
                              str(button["answer"])))
    if not any(b.answer == SKIP_ANSWER for b in buttons):
        raise ValueError(f"{QUESTIONS_PATH}: {where}: give a button that skips "
                         f"(answer: {SKIP_ANSWER})")
    reads_weeks = raw.get("reads_weeks")
    if reads_weeks is not None and slot_kinds().get(reads_weeks) != NUMBER:
        raise ValueError(f"{QUESTIONS_PATH}: {where}: 'reads_weeks' must name a number slot")
    asked_if = raw.get("asked_if", "changes_ranking")
    if asked_if not in ASKED_IF:
        raise ValueError(f"{QUESTIONS_PATH}: {where}: 'asked_if' is one of {ASKED_IF}")
    wins = raw.get("wins") or []
    if not isinstance(wins, list) or any(w not in anywhere for w in wins):
        raise ValueError(f"{QUESTIONS_PATH}: {where}: 'wins' lists answer values")
    combines = []
    for i, rule in enumerate(raw.get("combines") or []):
        if not isinstance(rule, Mapping) or set(rule) != {"values", "gives"} or not all(
                v in anywhere for v in [*(rule.get("values") or []), rule.get("gives")]):
            raise ValueError(f"{QUESTIONS_PATH}: {where}.combines[{i}]: {{values, gives}} "
                             "name answer values")
        combines.append((frozenset(rule["values"]), str(rule["gives"])))
    priority = raw.get("priority")
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise ValueError(f"{QUESTIONS_PATH}: {where}: 'priority' must be a whole number")
    return Question(
        id=qid, title=_text(raw, "title", where), slot=str(raw["slot"]),
        kind=str(raw["kind"]), priority=priority, ask=_text(raw, "ask", where),
        ask_again=_text(raw, "ask_again", where), why=_text(raw, "why", where),
        buttons=tuple(buttons), anywhere=anywhere, answer_only=answer_only,
        reads_weeks=reads_weeks,
        ask_when=reader.read_list(raw.get("ask_when"), f"{where}.ask_when", weighted=False,
                                  required=False),
        asked_if=asked_if, wins=tuple(wins), combines=tuple(combines),
        always_when=reader.read_list(raw.get("always_when"), f"{where}.always_when",
                                     weighted=False, required=False))


def read_questions(data: Any, reader: ConditionReader) -> QuestionSet:
    """Check the parsed questions.yml and build the question set."""
    if not isinstance(data, Mapping):
        raise ValueError(f"{QUESTIONS_PATH}: expected a mapping with 'questions'")
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise ValueError(f"{QUESTIONS_PATH}: unknown top-level key(s) {sorted(unknown)}")
    cap = data.get("max_followups")
    if isinstance(cap, bool) or not isinstance(cap, int) or cap < 0:
        raise ValueError(f"{QUESTIONS_PATH}: 'max_followups' must be a whole number >= 0")
    questions = tuple(_question(raw, reader) for raw in raw_questions())
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{QUESTIONS_PATH}: question ids must be distinct")
    enough = data.get("enough_evidence") or {}
    if not isinstance(enough, Mapping) or set(enough) - {"leader_score", "lead_margin"} or any(
            isinstance(v, bool) or not isinstance(v, (int, float)) for v in enough.values()):
        raise ValueError(f"{QUESTIONS_PATH}: 'enough_evidence' has numbers leader_score "
                         "and lead_margin")
    return QuestionSet(max_followups=cap, questions=questions,
                       leader_score=float(enough.get("leader_score", float("inf"))),
                       lead_margin=float(enough.get("lead_margin", float("inf"))))


@lru_cache(maxsize=1)
def load_questions() -> QuestionSet:
    """The follow-up questions, checked (read once)."""

    from bot.triage.engine import condition_reader

    data = strict_yaml.load(QUESTIONS_PATH.read_text(encoding="utf-8"))
    return read_questions(data, condition_reader(str(QUESTIONS_PATH)))

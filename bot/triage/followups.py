"""Follow-up questions: which to ask next, and what a reply (or any message) says.

* :func:`next_question`: the first question (by priority) that is allowed now, not yet
  asked or answered, and, unless it is ``asked_if: always``, has an answer that would
  change which cause comes first; none once the first cause is clearly ahead
  (``enough_evidence``). At most ``max_followups``.
* :func:`read_reply`: the reply to a question -> slot values (``answer_only`` phrases
  count here), "dont_know" (skip) or "unparsed".
* :func:`facts_in_message`: what any message says for the questions' slots (only the
  ``anywhere`` phrases, negation respected): "my left calf only" answers "one leg or
  both?" before it is asked.

Pure Python; phrases as in answer_vocabulary.yml (bot/triage/parsing.PhraseMatcher).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any, Iterable, Mapping

from bot.triage.answers import LIST, RunnerAnswers
from bot.triage.dates import weeks_ago
from bot.triage.engine import leader_scores, ranked_ids
from bot.triage.numbers import normalize
from bot.triage.parsing import PhraseMatcher, find_labels, is_dont_know
from bot.triage.questions import Question, load_questions


@dataclass
class Reply:
    """The reading of a reply to one question."""

    status: str  # "ok" | "dont_know" | "unparsed"
    values: dict[str, Any] = field(default_factory=dict)  # slot -> value (list for lists)


@cache
def _matcher(question_id: str, with_answer_only: bool) -> PhraseMatcher:
    question = load_questions().by_id(question_id)
    assert question is not None
    phrases: dict[str, list[str]] = {}
    for value, items in question.anywhere.items():
        phrases.setdefault(value, []).extend(items)
    if with_answer_only:
        for value, items in question.answer_only.items():
            phrases.setdefault(value, []).extend(items)
    return PhraseMatcher(phrases)


def _values(question: Question, text: str, *, reply: bool,
            normalized: str | None = None) -> list[str]:
    """The question's values said in ``text``, in order (negated phrases left out);
    ``normalized``: ``normalize(text).text`` when the caller has it already."""
    t = normalized if normalized is not None else normalize(text).text
    hits = [h for h in find_labels(t, _matcher(question.id, reply)) if not h.negated]
    return list(dict.fromkeys(h.label for h in hits))


def _slot_values(question: Question, found: list[str]) -> dict[str, Any]:
    if not found:
        return {}
    if question.kind == LIST:
        return {question.slot: found}
    # one value: values said together may combine ("during and after": both), then
    # the first said, unless the question names values that win ("left quad, and both
    # calves": both)
    for values, gives in question.combines:
        if values <= set(found):
            return {question.slot: gives}
    winner = next((value for value in question.wins if value in found), found[0])
    return {question.slot: winner}


def read_reply(question: Question, text: str, today: date | None = None) -> Reply:
    """What a reply to ``question`` says."""
    found = _values(question, text, reply=True)
    values = _slot_values(question, found)
    if question.reads_weeks:
        weeks = weeks_ago(text, today or date.today())
        if weeks is not None:
            values[question.reads_weeks] = weeks
    if values:
        return Reply("ok", values)
    if is_dont_know(text):
        return Reply("dont_know")
    return Reply("unparsed")


def facts_in_message(text: str, today: date | None = None) -> dict[str, Any]:
    """Slot values any message gives for the questions (``anywhere`` phrases only)."""
    if not text or not text.strip():
        return {}
    values: dict[str, Any] = {}
    normalized = normalize(text).text  # once for all the questions (linear time, issue 12)
    for question in load_questions().questions:
        found = _values(question, text, reply=False, normalized=normalized)
        values.update(_slot_values(question, found))
    return values


def _changes_ranking(question: Question, answers: RunnerAnswers) -> bool:
    now = ranked_ids(answers)
    for value in question.values:
        if value in ("none", "not_applicable"):
            continue
        other = ranked_ids(answers.with_values(**{question.slot: value}))
        if other[:1] != now[:1]:
            return True
    return False


def next_question(answers: RunnerAnswers, asked: Iterable[str]) -> Question | None:
    """The next follow-up question to ask, or None when no more are needed.

    Decided on the rules' evidence alone: the thresholds of questions.yml
    (``leader_score``, ``lead_margin``) are on their scale, and a question a clinician
    would ask is not skipped because the learned cause opinion (which only reorders the
    causes at the end) already leans one way."""
    answers = answers.without_words()
    questions = load_questions()
    asked = set(asked)
    if len(asked) >= questions.max_followups:
        return None
    known = answers.known()
    score, margin = leader_scores(answers)
    settled = score >= questions.leader_score and margin >= questions.lead_margin
    for question in sorted(questions.questions, key=lambda q: q.priority):
        if question.id in asked or question.slot in known:
            continue
        if not all(c.holds(answers) for c in question.ask_when):
            continue
        always = question.asked_if == "always" or any(
            c.holds(answers) for c in question.always_when)
        if settled and not always:
            continue
        if always or _changes_ranking(question, answers):
            return question
    return None


def merge_values(current: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """``current`` follow-up answers with ``new`` added (lists add up, text replaces)."""
    from bot.triage.answers import slot_kinds

    merged = dict(current)
    kinds = slot_kinds()
    for slot, value in new.items():
        if kinds.get(slot) == LIST:
            merged[slot] = list(dict.fromkeys([*(merged.get(slot) or []), *value]))
        else:
            merged[slot] = value
    return merged

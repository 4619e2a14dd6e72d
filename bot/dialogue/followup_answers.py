"""The follow-up questions inside the assessment form, without rasa_sdk.

The form has one slot for all of them, ``followup_answer``: while a follow-up is
pending it stays empty, so the form keeps asking; ``action_ask_followup_answer``
picks the question (bot.triage.followups.next_question) and records it in
``current_question`` and ``asked_questions``; the reply is read here into the
answer slots, and the next question (or none) follows. A question is asked once:
a reply that can't be read is left out with a short note, never asked again.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Dict, Mapping

from bot.dialogue.fact_slots import answer_updates
from bot.dialogue.interruptions import is_interruption
from bot.triage.answers import RunnerAnswers
from bot.triage.followups import next_question, read_reply
from bot.triage.questions import Question, load_questions

FOLLOWUP = "followup_answer"
UNREAD_NOTE = "_unread_note"  # not a slot: tells the action to say the reply was left out


def asked(slots: Mapping[str, Any]) -> list[str]:
    return [str(q) for q in slots.get("asked_questions") or []]


def next_followup(slots: Mapping[str, Any]) -> Question | None:
    """The question to ask now: the open one, else the next one the story calls for."""
    questions = load_questions()
    current = questions.by_id(slots.get("current_question"))
    if current is not None:
        return current
    return next_question(RunnerAnswers.from_slots(slots), asked(slots))


def followup_pending(slots: Mapping[str, Any]) -> bool:
    return next_followup(slots) is not None


def read_followup_reply(slots: Mapping[str, Any], text: str, intent: str | None,
                        today: date | None = None) -> Dict[str, Any]:
    """Slot updates for ``text`` as the reply to the open follow-up question."""
    question = load_questions().by_id(slots.get("current_question"))
    if question is None:
        return {}
    reply = read_reply(question, text, today)
    done = {"current_question": None, FOLLOWUP: None}
    if reply.status == "ok":
        return {**answer_updates(slots, reply.values), **done}
    if reply.status == "dont_know":
        return done
    if is_interruption(text, intent):
        return {}  # a question or chit-chat: the rules answer it, then the form asks again
    return {**done, UNREAD_NOTE: True}

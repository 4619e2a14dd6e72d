"""The follow-up questions (issue 14), one conversation per question path, through the
real servers and the REST channel: each question is asked only when the story calls for
it, can be answered in free text or with its buttons, skipped, or asked "why?", is never
asked twice, and its answer changes what the runner is told."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest

from bot.triage.questions import load_questions
from tests.e2e.conftest import Chat

CORE = {
    "weekly_distance_km": "30 km",
    "distance_increase_pct": "same as always",
    "sleep_hours": "7 hours",
    "diet_factors": "not sure",
    "shoe_distance_km": "not sure",
}


class Played:
    def __init__(self) -> None:
        self.asked: List[str] = []  # follow-up question ids, in the order asked
        self.messages: List[Dict[str, Any]] = []  # every bot message
        self.slots: Dict[str, Any] = {}


def play(chat: Chat, opening: str, replies: Dict[str, str],
         core: Dict[str, str] | None = None) -> Played:
    """Answer every question until the explanation: the core ones from ``core``, the
    follow-ups from ``replies`` (a question without a reply gets "not sure")."""
    core = {**CORE, **(core or {})}
    played = Played()
    played.messages += chat.say(opening)
    checked = False
    for _ in range(14):
        slots = chat.tracker()["slots"]
        if slots.get("likely_causes"):
            break
        requested = slots.get("requested_slot")
        if requested == "followup_answer":
            question = slots.get("current_question")
            played.asked.append(question)
            reply = replies.get(question, "not sure")
        elif not requested and slots.get("possible_signs_heard") and not checked:
            checked = True  # a check on a possible warning sign: these runners have none
            reply = "no"
        else:
            assert requested, "the bot stopped asking without an explanation"
            reply = core[requested]
        played.messages += chat.say(reply)
    played.slots = chat.tracker()["slots"]
    assert played.slots.get("likely_causes"), "no explanation was given"
    assert len(played.asked) == len(set(played.asked)), f"asked twice: {played.asked}"
    return played


def _question_messages(played: Played, question_id: str) -> List[Dict[str, Any]]:
    question = load_questions().by_id(question_id)
    assert question is not None
    return [m for m in played.messages if m.get("text") == question.ask]


def _texts(played: Played) -> str:
    return "\n".join(m.get("text") or "" for m in played.messages)


def test_how_it_started(chat: Chat) -> None:
    played = play(chat, "my legs feel heavy and I haven't been ill", {
        "onset": "gradually, for about a month",  # free text, with a duration
    })
    assert played.asked[0] == "onset"
    assert "illness" not in played.asked  # answered in the first message
    assert played.slots["followup_answers"]["onset"] == "gradual"
    assert played.slots["followup_answers"]["recent_illness"] == "no"
    assert played.slots["symptom_weeks"] == pytest.approx(4.3, abs=0.2)
    [message] = _question_messages(played, "onset")
    assert "Not sure" in [b["title"] for b in message["buttons"]]


def test_when_it_is_felt(chat: Chat) -> None:
    played = play(chat, "my legs feel rubbish in this heat and humidity lately", {
        "timing": "At rest or at night",  # a button's title is its payload
    })
    assert "timing" in played.asked
    assert played.slots["symptom_timing"] == "rest"
    [message] = _question_messages(played, "timing")
    assert "Not sure" in [b["title"] for b in message["buttons"]]
    assert "heat_altitude" in played.slots["likely_causes"]


def test_one_leg_or_both_and_whether_it_goes_on_stopping(chat: Chat) -> None:
    played = play(chat, "my calves get really tight during runs", {
        "after_stopping": "it goes within a few minutes of stopping",
        "sides": "Both legs",
    })
    assert set(played.asked) >= {"after_stopping", "sides"}
    assert played.slots["followup_answers"]["after_stopping"] == "minutes"
    assert played.slots["followup_answers"]["sides"] == "both"
    assert played.slots["likely_causes"][0] == "compartment_syndrome"
    text = _texts(played)
    assert "When to see someone:" in text and "sports doctor" in text


def test_recent_illness_and_periods(chat: Chat) -> None:
    played = play(chat, "I feel exhausted and my legs are heavy, I've lost weight", {
        "illness": "yes, I had flu three weeks ago",
        "periods": "Missed or stopped",
    })
    assert set(played.asked) >= {"illness", "periods"}
    assert played.slots["followup_answers"]["recent_illness"] == "yes"
    assert played.slots["followup_answers"]["periods"] == ["missed"]
    causes = played.slots["likely_causes"]
    assert "low_energy_availability" in causes and "post_viral" in causes


def test_medicines(chat: Chat) -> None:
    played = play(chat, "my legs ache and feel heavy all the time, it crept up over the past "
                        "few months, haven't been ill", {"medicines": "A statin (cholesterol)"})
    assert "medicines" in played.asked
    assert played.slots["followup_answers"]["medicines"] == ["statin"]
    assert played.slots["likely_causes"][0] == "statins"
    assert "don't stop it on your own" in _texts(played)


def test_why_and_skip(chat: Chat) -> None:
    chat.say("my legs feel heavy")
    for reply in CORE.values():
        chat.say(reply)
    first = chat.tracker()["slots"]["current_question"]
    question = load_questions().by_id(first)
    assert question is not None
    why = chat.say("why do you ask?")
    assert why[0]["text"] == question.why
    assert why[-1]["text"] == question.ask  # the same question, still open
    chat.say("skip")
    slots = chat.tracker()["slots"]
    assert slots["current_question"] != first
    assert first in slots["asked_questions"]
    assert question.slot not in (slots.get("followup_answers") or {})


def test_a_question_already_answered_is_not_asked(chat: Chat) -> None:
    played = play(chat, "only my left calf feels heavy and tight during runs, it came on "
                        "suddenly and goes away when I stop", {})
    for question_id in ("sides", "onset", "timing", "after_stopping"):
        assert question_id not in played.asked
    answers = played.slots["followup_answers"]
    assert answers["sides"] == "one" and answers["onset"] == "sudden"
    assert answers["after_stopping"] == "minutes"


def test_what_to_do_first_and_two_requests_in_one_message(chat: Chat) -> None:
    play(chat, "my legs feel heavy", {}, core={"sleep_hours": "about 5 hours",
                                             "distance_increase_pct": "from 20 to 30 km"})
    plan = chat.text("what should I do first?")
    assert "1. " in plan and "2. " in plan
    assert "Going by what you've told me" not in plan  # a plan, not the explanation again
    both = chat.say("thanks, what should I do first?")
    assert both[0]["text"] == "Glad it helps."
    assert "1. " in "\n".join(m.get("text") or "" for m in both[1:])

"""Issue 16, progress and control, through the REST webhook against the real servers:
a figure keeps the unit of the one before it, an earlier answer corrected in passing,
"change my ...", "undo", and the next steps under the explanation."""

from __future__ import annotations

from tests.e2e.conftest import Chat


def texts(messages: list) -> list[str]:
    return [m.get("text") or "" for m in messages]


def test_a_follow_up_figure_keeps_the_unit_of_the_figure_before(chat: Chat) -> None:
    chat.say("my legs feel heavy on my runs lately")
    chat.say("30 miles a week")
    assert chat.slot("distance_unit") == "mi"
    chat.say("went up from 20")
    assert round(chat.slot("distance_increase_pct")) == 50  # 20 miles, not 20 km (141%)
    chat.say("7 hours")
    chat.say("pretty balanced")
    said = chat.say("about 200")  # shoes: miles as well
    assert round(chat.slot("shoe_distance_km")) == 322
    explanation = "\n".join(texts(chat.skip_followups() if chat.slot("requested_slot")
                                  else said))
    assert "20 to 30 miles a week" in explanation
    assert " km" not in explanation


def test_a_correction_at_another_question_is_taken_and_the_question_asked_again(
        chat: Chat) -> None:
    chat.say("my legs are heavy and achy after runs")
    chat.say("40 km")
    chat.say("steady")
    chat.say("7 hours")
    assert chat.slot("requested_slot") == "diet_factors"
    reply = texts(chat.say("wait, I got that wrong, I only sleep 5 hours"))
    assert reply[0] == "Got it: I've changed your sleep to 5 hours a night."
    assert "eating" in reply[-1]  # the diet question again, not "couldn't read that"
    assert not any("couldn't quite read" in text for text in reply)
    slots = chat.tracker()["slots"]
    assert slots["sleep_hours"] == 5.0
    assert slots["requested_slot"] == "diet_factors"
    assert "diet_factors" not in slots["skipped_questions"]
    chat.say("pretty balanced")
    assert "balanced" in chat.slot("diet_factors")


def test_change_my_weekly_distance_in_the_middle_of_the_questions(chat: Chat) -> None:
    chat.say("my legs feel heavy on every run")
    chat.say("40 km")
    chat.say("steady")
    assert chat.slot("requested_slot") == "sleep_hours"
    reply = texts(chat.say("can I change my weekly distance?"))
    assert reply[0] == "Sure, let's redo your weekly distance."
    assert "How far do you run" in reply[-1]
    assert chat.slot("requested_slot") == "weekly_distance_km"
    chat.say("50 km")
    slots = chat.tracker()["slots"]
    assert slots["weekly_distance_km"] == 50.0
    assert slots["requested_slot"] == "sleep_hours"  # on where it was


def test_undo_takes_back_the_last_answer(chat: Chat) -> None:
    chat.say("heavy legs on my runs")
    chat.say("40 km")
    chat.say("steady")
    assert chat.slot("distance_increase_pct") == 0.0
    reply = texts(chat.say("undo"))
    assert reply[0] == 'Done: I\'ve taken back your last answer ("steady").'
    assert "changed over the last few weeks" in reply[-1]
    slots = chat.tracker()["slots"]
    assert slots["distance_increase_pct"] is None
    assert slots["requested_slot"] == "distance_increase_pct"
    assert slots["weekly_distance_km"] == 40.0  # only the last answer
    chat.say("went from 30 to 40")
    assert round(chat.slot("distance_increase_pct")) == 33


def test_undo_keeps_a_warning_sign(chat: Chat) -> None:
    chat.say("heavy legs on my runs")
    chat.say("my left calf is swollen, red and hot since the long flight")
    assert chat.slot("escalation_level") == "urgent"
    reply = texts(chat.say("undo"))
    assert "can't take it back" in reply[0]
    assert chat.slot("escalation_level") == "urgent"
    assert chat.slot("red_flags")


def test_after_the_explanation_a_changed_answer_gives_a_new_one(chat: Chat) -> None:
    chat.say("I run 30 km a week, sleep 8 hours and my shoes have 300 km on them, "
             "my legs feel heavy")
    chat.say("steady")
    said = chat.say("pretty balanced")
    if chat.slot("requested_slot") == "followup_answer":
        said = chat.skip_followups()
    first = chat.tracker()["slots"]["likely_causes"]
    assert first
    buttons = [b["title"] for m in said for b in m.get("buttons") or []]
    assert buttons == ["What should I do first?", "A summary to keep"]

    reply = texts(chat.say("actually I only sleep 5 hours"))
    assert reply[0].startswith("Got it: I've changed your sleep to 5 hours a night.")
    assert "sleep" in chat.slot("likely_causes")
    assert chat.slot("sleep_hours") == 5.0
    assert any("5 hours" in text for text in reply[1:])  # the new explanation

    reply = texts(chat.say("change my shoes"))
    assert reply[0] == "Sure, let's redo your shoes."
    assert "running shoes" in reply[-1]
    assert chat.slot("requested_slot") == "shoe_distance_km"
    said = chat.say("900 km")
    if chat.slot("requested_slot") == "followup_answer":
        said = chat.skip_followups()
    assert chat.slot("requested_slot") is None
    assert "900" in "\n".join(texts(said))
    assert "shoes" in chat.slot("likely_causes")

    summary = "\n".join(texts(chat.say("get a summary to keep")))
    assert "Summary of the heavy-legs assessment" in summary
    assert "shoes 900 km" in summary and "sleep 5 h a night" in summary

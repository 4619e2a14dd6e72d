"""Warning signs through the real NLU pipeline and policies (REST webhook)."""

from __future__ import annotations

from tests.e2e.conftest import Chat


def test_sign_in_the_opening_message_escalates_then_resumes_on_yes(chat: Chat) -> None:
    reply = chat.text("my legs are heavy and my ankles are swollen after runs")
    slots = chat.tracker()["slots"]
    assert slots["escalation_level"] == "see_professional"
    assert "swelling" in slots["red_flags"]
    assert "GP" in reply and "carry on" in reply
    chat.say("yes please")
    assert chat.slot("requested_slot") == "weekly_distance_km"


def test_urgent_sign_after_the_explanation(chat: Chat) -> None:
    chat.say("I run 30 km a week, sleep 7 hours, shoes have 200 km, legs feel heavy")
    chat.say("steady")
    chat.say("balanced")
    chat.skip_followups()
    assert chat.slot("likely_causes")
    reply = chat.text("now one calf is swollen, red and warm")
    slots = chat.tracker()["slots"]
    assert slots["escalation_level"] == "urgent"
    assert {"swelling", "warmth"} <= set(slots["red_flags"])
    assert "today" in reply


def test_negated_signs_do_not_escalate(chat: Chat) -> None:
    chat.say("no swelling, no tingling and no pain, my legs just feel heavy")
    slots = chat.tracker()["slots"]
    assert slots["escalation_level"] == "none" and slots["red_flags"] == []
    assert slots["requested_slot"] == "weekly_distance_km"


def test_hedged_sign_is_checked_then_confirmed(chat: Chat) -> None:
    chat.say("heavy legs after running")
    reply = chat.text("maybe a bit of tingling in my toes?")
    assert "check" in reply.lower()
    assert chat.slot("escalation_level") == "none"
    chat.say("yes")
    slots = chat.tracker()["slots"]
    assert slots["escalation_level"] == "see_professional"
    assert "tingling" in slots["red_flags"]


def test_hedged_sign_denied_and_the_questions_go_on(chat: Chat) -> None:
    chat.say("heavy legs after running")
    # A doubt ("maybe", "I think") makes the bot ask; a degree word alone ("sort of
    # numb", "a bit swollen") no longer does: a mild sign is still the sign.
    chat.say("numb maybe?")
    reply = chat.text("no")
    assert chat.slot("escalation_level") == "none"
    assert chat.slot("requested_slot") == "weekly_distance_km"
    assert "km or miles" in reply


def test_an_answer_with_a_hedged_sign_denied_is_not_asked_again(chat: Chat) -> None:
    """The reply that raised the check also answered the question: after "no" the
    questions go on from the next one (no question twice)."""
    chat.say("heavy legs after running")
    chat.say("about 40 km a week, and sort of tingly toes maybe?")
    reply = chat.text("no")
    slots = chat.tracker()["slots"]
    assert slots["escalation_level"] == "none"
    assert slots["weekly_distance_km"] == 40.0
    assert slots["requested_slot"] == "distance_increase_pct"
    assert "km or miles" not in reply


def test_question_about_a_sign_gets_information(chat: Chat) -> None:
    reply = chat.text("when should I worry about swelling?")
    assert chat.slot("escalation_level") == "none"
    assert "swelling" in reply.lower()


def test_after_an_emergency_the_assessment_does_not_go_on(chat: Chat) -> None:
    chat.say("legs heavy")
    chat.say("I fainted on my run yesterday")
    assert chat.slot("escalation_level") == "emergency"
    reply = chat.text("about 40 km a week")
    assert "emergency" in reply.lower()
    assert chat.slot("requested_slot") is None  # no question is pending any more

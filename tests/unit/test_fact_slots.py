import pytest

from bot.dialogue.fact_slots import increase_pct, merge_fact_slots


def ent(entity: str, value, extractor: str = "FactExtractor") -> dict:
    return {"entity": entity, "value": value, "extractor": extractor}


def test_lists_accumulate_across_messages_without_duplicates() -> None:
    slots = {"diet_factors": ["vegan"], "volunteered_causes": ["stress"]}
    updates = merge_fact_slots(
        slots,
        [ent("diet_factor", "alcohol"), ent("diet_factor", "vegan"),
         ent("volunteered_cause", "strength_training")],
    )
    assert updates == {
        "diet_factors": ["vegan", "alcohol"],
        "volunteered_causes": ["stress", "strength_training"],
    }


def test_nothing_new_changes_nothing() -> None:
    assert merge_fact_slots({"symptoms": ["heavy"]}, [ent("symptom", "heavy")]) == {}


def test_entities_of_other_extractors_are_ignored() -> None:
    assert merge_fact_slots({}, [ent("diet_factor", "vegan", extractor="DIETClassifier")]) == {}


def test_increase_is_computed_from_previous_and_current_distance() -> None:
    updates = merge_fact_slots(
        {"weekly_distance_km": 40.0}, [ent("previous_weekly_distance_km", 24.0)]
    )
    assert updates["distance_increase_pct"] == pytest.approx(66.7)


def test_known_increase_is_not_overwritten() -> None:
    updates = merge_fact_slots(
        {"weekly_distance_km": 40.0, "distance_increase_pct": 10.0},
        [ent("previous_weekly_distance_km", 24.0)],
    )
    assert "distance_increase_pct" not in updates


@pytest.mark.parametrize(
    ("previous", "current", "expected"),
    [(20, 35, 75.0), (40, 30, -25.0), (30, 30, 0.0), (0, 30, None), (None, 30, None)],
)
def test_increase_pct(previous, current, expected) -> None:
    assert increase_pct(previous, current) == expected


def test_the_reply_to_a_sign_check_is_not_an_answer_to_the_form() -> None:
    from bot.dialogue.form_answers import replies_to_a_sign_check

    asked = [{"event": "user", "text": "heavy legs"},
             {"event": "action", "name": "assessment_form"},
             {"event": "action", "name": "action_listen"},
             {"event": "user", "text": "sort of numb?"},
             {"event": "action", "name": "utter_check_sign"},
             {"event": "action", "name": "action_listen"},
             {"event": "user", "text": "no"}]
    assert replies_to_a_sign_check(asked)
    answered = [*asked, {"event": "action", "name": "utter_sign_check_clear"},
                {"event": "action", "name": "assessment_form"},
                {"event": "action", "name": "action_listen"},
                {"event": "user", "text": "30 km"}]
    assert not replies_to_a_sign_check(answered)
    assert not replies_to_a_sign_check([{"event": "user", "text": "30 km"}])


def test_after_no_to_a_sign_check_the_checked_message_answers_the_question() -> None:
    """The message that raised the check was the reply to the open question: after "no"
    it is read as the answer, so the question is not asked again."""
    from bot.dialogue.form_answers import message_before_a_sign_check, read_answer

    events = [{"event": "user", "text": "heavy legs"},
              {"event": "action", "name": "assessment_form"},
              {"event": "action", "name": "action_listen"},
              {"event": "user", "text": "about 6 hours, sort of tingly feet maybe",
               "parse_data": {"intent": {"name": "inform"}}},
              {"event": "action", "name": "utter_check_sign"},
              {"event": "action", "name": "action_listen"},
              {"event": "user", "text": "no", "parse_data": {"intent": {"name": "deny"}}}]
    earlier = message_before_a_sign_check(events)
    assert earlier == ("about 6 hours, sort of tingly feet maybe", "inform")
    assert read_answer("sleep_hours", *earlier, {"requested_slot": "sleep_hours"})[
        "sleep_hours"] == 6.0
    assert message_before_a_sign_check(events[:4]) is None  # no check: nothing to re-read


def test_a_warning_sign_holds_an_answer_only_when_it_raises_the_level() -> None:
    from bot.dialogue.form_answers import carries_warning_sign

    pain = [{"entity": "red_flag", "value": "pain", "extractor": "RedFlagDetector"}]
    assert carries_warning_sign(pain)
    assert carries_warning_sign(pain, "none")
    # said again after it was escalated: the answer is read (no question held for ever)
    assert not carries_warning_sign(pain, "see_professional")
    assert not carries_warning_sign(pain, "urgent")
    chest = [{"entity": "red_flag", "value": "chest_pain", "extractor": "RedFlagDetector"}]
    assert carries_warning_sign(chest, "see_professional")


def test_the_question_open_when_a_sign_came_is_answered_or_left_out() -> None:
    from bot.dialogue.form_answers import answer_held_by_a_sign

    # the message with the sign answers the question: kept
    held = answer_held_by_a_sign({"requested_slot": "sleep_hours"},
                                 "only 5 hours, and my calf is swollen", "inform")
    assert held["sleep_hours"] == 5.0
    # it says nothing for it: left out, so it is not asked again after the advice
    held = answer_held_by_a_sign({"requested_slot": "weekly_distance_km"},
                                 "I also have chest pain", "describe_symptoms")
    assert held["skipped_questions"] == ["weekly_distance_km"] and "weekly_distance_km" not in held
    # an implausible figure is left out too
    held = answer_held_by_a_sign({"requested_slot": "sleep_hours"},
                                 "30 hours and my calf is swollen", "inform")
    assert "sleep_hours" not in held or held["sleep_hours"] is None
    # a follow-up question is closed either way
    held = answer_held_by_a_sign({"requested_slot": "followup_answer",
                                  "current_question": "timing"},
                                 "mostly after runs, and my calf is swollen", "inform")
    assert held["symptom_timing"] == "after" and held["current_question"] is None
    assert answer_held_by_a_sign({}, "my calf is swollen", "describe_symptoms") == {}


@pytest.mark.parametrize(("slot", "text"), [
    ("sleep_hours", "the baby's up three or four times a night at the moment"),
    ("sleep_hours", "honestly not sleeping well since the new job"),
    ("sleep_hours", "fine thanks"),
    ("shoe_distance_km", "they're fine"),
    ("shoe_distance_km", "ok"),
])
def test_an_answer_in_words_is_understood_not_reported_unread(slot: str, text: str) -> None:
    """No figure, but the reply answers the question: skipped quietly, never 'I couldn't
    read that' (answer_vocabulary.yml answered_in_words)."""
    from bot.dialogue.form_answers import read_answer

    updates = read_answer(slot, text, "inform", {"requested_slot": slot})
    assert updates.get("answer_unparsed") is None
    assert slot in (updates.get("skipped_questions") or [])
    assert updates.get(slot) is None


@pytest.mark.parametrize(("slot", "text"), [
    ("sleep_hours", "purple elephants"),
    ("shoe_distance_km", "my legs are fine"),
    ("sleep_hours", "the shoes are fine"),
])
def test_a_reply_that_does_not_answer_is_still_reported_unread(slot: str, text: str) -> None:
    from bot.dialogue.form_answers import read_answer

    assert read_answer(slot, text, "inform", {"requested_slot": slot})[
        "answer_unparsed"] == slot


def test_after_no_an_unreadable_reply_is_left_out_but_a_bare_sign_is_asked_again() -> None:
    """After "no" to a check, the message that raised it answers the open question; if it
    can't be read, a reply of several words is left out with the usual note (the question
    is not asked twice), while a bare sign ("numb maybe?") interrupted the question."""
    from bot.dialogue.form_answers import only_a_sign, read_answer

    assert only_a_sign("numb maybe?") and only_a_sign("sort of tingly toes?")
    assert not only_a_sign("the app has me walking less now")
    unread = read_answer("distance_increase_pct", "the app has me walking less now", "inform",
                         {"requested_slot": "distance_increase_pct"})
    assert unread.get("answer_unparsed") == "distance_increase_pct"

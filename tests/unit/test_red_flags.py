"""Unit tests for the deterministic red-flag detector (bot/triage/red_flags.py)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import spacy
import yaml

from bot.nlp.pipeline import ensure_pipeline
from bot.triage.red_flags import (
    DEFAULT_VOCABULARY_PATH,
    LEVELS,
    RedFlagDetector,
    RedFlagFindings,
    VocabularyError,
    build_matchers,
    describe_signs,
    escalation_level,
    level_rank,
    load_vocabulary,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def nlp():
    return spacy.load(ensure_pipeline(ROOT / "build" / "spacy_pipeline"))


@pytest.fixture(scope="module")
def detector(nlp):
    return RedFlagDetector(nlp)


def statuses(findings: RedFlagFindings, sign: str) -> set[str]:
    return {m.status for m in findings.mentions if m.sign == sign}


# ------------------------------------------------------------------ negation


@pytest.mark.parametrize(
    "text, sign",
    [
        ("no swelling", "swelling"),
        ("not painful", "pain"),
        ("without any pain", "pain"),
        ("zero tingling", "tingling"),
        ("never had tingling", "tingling"),
        ("nope, no numbness", "numbness"),
        ("I wouldn't call it pain", "pain"),
        ("no sign of swelling", "swelling"),
        ("swelling? none", "swelling"),
        ("not swollen at all", "swelling"),
        ("pain free", "pain"),
        ("pain-free since Sunday", "pain"),
        ("no pain whatsoever", "pain"),
        ("don't have any numbness", "numbness"),
        ("I dont have any numbness", "numbness"),
        ("I don’t have any swelling", "swelling"),
        ("tingling: no", "tingling"),
        ("it doesn't hurt", "pain"),
        ("I don't think it's swollen", "swelling"),
        ("no chest pain", "chest_pain"),
        ("I'm not short of breath", "breathlessness"),
        ("haven't fainted", "fainting"),
        ("no more swelling since I rested", "swelling"),
    ],
)
def test_negated_signs(detector, text, sign):
    found = detector.detect_text(text)
    assert sign in found.negated, found
    assert sign not in found.affirmed
    assert found.level == "none"


@pytest.mark.parametrize(
    "text, signs",
    [
        ("they aren't painful or swollen", {"pain", "swelling"}),
        ("no pain, tingling or numbness", {"pain", "tingling", "numbness"}),
        ("no swelling, redness, warmth or tenderness",
         {"swelling", "redness", "warmth", "tenderness"}),
        ("I don't feel any tingling or numbness and there is no swelling",
         {"tingling", "numbness", "swelling"}),
        ("haven't fainted or felt dizzy", {"fainting", "dizziness"}),
    ],
)
def test_negation_spreads_over_a_coordinated_list(detector, text, signs):
    found = detector.detect_text(text)
    assert signs <= found.negated, found
    assert not found.affirmed
    assert found.level == "none"


@pytest.mark.parametrize(
    "text, negated, affirmed",
    [
        ("no pain but my calf is swollen", "pain", "swelling"),
        ("no swelling, although my toes tingle", "swelling", "tingling"),
        ("no pain however my foot is numb", "pain", "numbness"),
        ("no swelling though my toes tingle", "swelling", "tingling"),
        ("no pain; my calf is swollen", "pain", "swelling"),
        ("no pain. My calf is swollen", "pain", "swelling"),
        ("no swelling except some tingling", "swelling", "tingling"),
        ("not painful, my ankle is swollen", "pain", "swelling"),
        ("no pain and my calf is swollen", "pain", "swelling"),
        ("I dont have swelling i have tingling", "swelling", "tingling"),
        ("no pain, just some tingling", "pain", "tingling"),
        ("swollen calf, no pain", "pain", "swelling"),
        ("The physio said there's no swelling but my calf hurts", "swelling", "pain"),
    ],
)
def test_scope_terminators_end_the_negation(detector, text, negated, affirmed):
    found = detector.detect_text(text)
    assert negated in found.negated, found
    assert affirmed in found.affirmed, found


def test_negation_reach_is_a_window(detector):
    found = detector.detect_text(
        "no problems at all with the run itself and then later that evening my calf swelled up")
    assert "swelling" in found.affirmed


@pytest.mark.parametrize(
    "text, sign",
    [
        ("not sure if it's swelling", "swelling"),  # hedge, not negation
    ],
)
def test_not_sure_is_a_hedge_not_a_negation(detector, text, sign):
    found = detector.detect_text(text)
    assert sign in found.hedged and sign not in found.negated


@pytest.mark.parametrize(
    "text, sign",
    [
        ("the swelling won't go away", "swelling"),
        ("I've never had pain like this before", "pain"),
        ("not much pain but it's there", "pain"),
        ("no relief from the pain even with ice", "pain"),
        ("nothing helps the pain", "pain"),
        ("no pain except when I press on my shin", "pain"),
        ("no numbness apart from my little toe", "numbness"),
        ("the tingling isn't going away", "tingling"),
        ("swelling has gone down a bit", "swelling"),
    ],
)
def test_pseudo_negations_and_exceptions_do_not_deny(detector, text, sign):
    found = detector.detect_text(text)
    assert sign in found.affirmed, found


def test_cue_inside_a_sign_is_not_a_negation(detector):
    found = detector.detect_text("I can't feel my foot")
    assert found.affirmed == {"cannot_feel_leg"}
    assert found.level == "emergency"
    found = detector.detect_text("I can't catch my breath")
    assert "breathlessness" in found.affirmed


# -------------------------------------------------------------------- hedges


@pytest.mark.parametrize(
    "text, sign",
    [
        ("maybe a bit of tingling", "tingling"),
        ("sort of numb?", "numbness"),
        ("kind of swollen maybe", "swelling"),
        ("might be a little puffy", "swelling"),
        ("not sure if it's swelling", "swelling"),
        ("possibly a little tingly in the toes", "tingling"),
        ("my calf is kinda puffy i guess", "swelling"),
        ("my calf is swollen, not sure", "swelling"),
        ("perhaps some numbness?", "numbness"),
        ("is it maybe swelling?", "swelling"),
    ],
)
def test_hedged_signs(detector, text, sign):
    found = detector.detect_text(text)
    assert sign in found.hedged, found
    assert statuses(found, sign) == {"hedged"}
    assert sign not in found.affirmed
    assert found.level == "none"


def test_a_hedge_only_counts_at_the_end_of_a_clause(detector):
    found = detector.detect_text("my calf is swollen maybe from the long run")
    assert "swelling" in found.affirmed


def test_affirmed_wins_over_hedged(detector):
    found = detector.detect_text(
        "maybe some swelling? actually yes, my ankle is definitely swollen")
    assert "swelling" in found.affirmed
    assert "swelling" not in found.hedged


# ------------------------------------------------------- spelling and slang


@pytest.mark.parametrize(
    "text, sign",
    [
        ("my calf is swolen", "swelling"),
        ("ankles are swollan", "swelling"),
        ("some sweling around the ankle", "swelling"),
        ("my legz r swolen n sore", "swelling"),
        ("puffy ankles", "swelling"),
        ("my ankles puffed up", "swelling"),
        ("tinglin in my feet", "tingling"),
        ("feet go tingly", "tingling"),
        ("tinglng toes", "tingling"),
        ("tinglinggg feet after runs", "tingling"),
        ("legs feel wierd and tingley", "tingling"),
        ("pins and needles in my toes", "tingling"),
        ("pins n needles in my feet", "tingling"),
        ("numbish toes", "numbness"),
        ("numbness in my foot", "numbness"),
        ("my toes go numm", "numbness"),
        ("numbnes in my toes", "numbness"),
        ("can't feel my toes", "numbness"),
        ("I get a dead foot on long runs", "numbness"),
        ("my foot went to sleep on the run", "numbness"),
        ("my legs are killing me", "pain"),
        ("it hurts", "pain"),
        ("sharp shooting pain", "pain"),
        ("my calf is throbbing", "pain"),
        ("my foot is painfull", "pain"),
        ("cant feel my foot", "cannot_feel_leg"),
        ("I fainted", "fainting"),
        ("fanted after the race", "fainting"),
        ("passed out after the race", "fainting"),
        ("blacked out on the treadmill", "fainting"),
        ("collapsed at the finish", "fainting"),
        ("coke-coloured pee", "dark_urine"),
        ("brown urine", "dark_urine"),
        ("pee is dark like tea", "dark_urine"),
        ("coughing up blood", "coughing_blood"),
        ("chest feels tight", "chest_pain"),
        ("chest pain", "chest_pain"),
        ("can't catch my breath", "breathlessness"),
        ("short of breath", "breathlessness"),
        ("I feel lightheaded", "dizziness"),
        ("I nearly fainted", "dizziness"),
    ],
)
def test_spelling_and_slang(detector, text, sign):
    found = detector.detect_text(text)
    assert sign in found.affirmed, found


def test_nearly_fainted_is_dizziness_not_fainting(detector):
    found = detector.detect_text("I nearly fainted after the hill session")
    assert found.affirmed == {"dizziness"}
    assert found.level == "see_professional"


def test_fuzzy_matching_leaves_real_words_alone(detector):
    # "painted" is one letter from "fainted" but an ordinary English word
    found = detector.detect_text("I painted the fence and my legs feel heavy")
    assert not found.affirmed
    assert found.level == "none"


@pytest.mark.parametrize(
    "text",
    [
        "dead legs",
        "my legs feel dead after the race",
        "legs like lead",
        "my legs are sore",
        "achy calves",
        "stiff quads",
        "tight hamstrings",
        "I'm tired and my legs are heavy",
        "DOMS after leg day",
        "my lungs were burning on the hill reps",
        "out of breath on the last interval",
        "collapsed on the sofa after the long run",
        "ran in the cold this morning and my legs were heavy",
        "my feet get cold in winter",
        "had an ice bath and a hot bath",
        "foam rolling hurts but helps",
        "hurts to think about my mileage",
        "the hills are killing me",
        "my legs are killing it this week",
        "my pee is dark yellow",
        "I have a cold and heavy legs",
        "I painted my toenails blue",
    ],
)
def test_ordinary_words_do_not_escalate(detector, text):
    found = detector.detect_text(text)
    assert found.level == "none", found


# ----------------------------------------------------------------- questions


@pytest.mark.parametrize(
    "text, sign",
    [
        ("when should I worry about swelling?", "swelling"),
        ("is tingling normal?", "tingling"),
        ("what does numbness mean?", "numbness"),
        ("should I see someone if it hurts?", "pain"),
        ("Is chest pain ever normal when running", "chest_pain"),
        ("quick question: is tingling normal?", "tingling"),
        ("I'll see a doctor if it starts to hurt", "pain"),
        ("My mate had a DVT with a swollen calf. Mine are just heavy.", "swelling"),
        ("tell me about tingling", "tingling"),
    ],
)
def test_questions_about_a_sign(detector, text, sign):
    found = detector.detect_text(text)
    assert sign in found.asked_about, found
    assert sign not in found.affirmed
    assert found.level == "none"


@pytest.mark.parametrize(
    "text, sign",
    [
        ("my calf is swollen, should I worry?", "swelling"),
        ("my calf is swollen should I worry", "swelling"),
        ("Legs heavy, calf swollen, is that bad?", "swelling"),
        ("is it normal that my feet go numb?", "numbness"),
        ("is the swelling in my calf normal?", "swelling"),
        ("should I see a physio about the pain in my shin?", "pain"),
        ("why are my ankles swollen after long runs", "swelling"),
        ("my calves are swollen?", "swelling"),
    ],
)
def test_a_stated_sign_with_a_question_is_affirmed(detector, text, sign):
    found = detector.detect_text(text)
    assert sign in found.affirmed, found
    assert found.level != "none"


@pytest.mark.parametrize(
    "text, sign",
    [
        ("did a 20k yesterday, today my pee is brown", "dark_urine"),
        ("had a sharp pain in my shin today", "pain"),
        ("was swollen yesterday and still is", "swelling"),
    ],
)
def test_statements_without_a_subject_are_not_questions(detector, text, sign):
    found = detector.detect_text(text)
    assert sign in found.affirmed, found


def test_swollen_then_hard_to_is_not_a_tight_swollen_leg(detector):
    found = detector.detect_text("my calf is swollen, hard to walk on")
    assert "tight_swollen_leg" not in found.affirmed
    assert "swelling" in found.affirmed


def test_question_and_statement_in_one_message(detector):
    found = detector.detect_text("Is tingling normal? Also my left calf is swollen and warm.")
    assert "tingling" in found.asked_about
    assert {"swelling", "one_sided", "warmth"} <= found.affirmed
    assert found.level == "urgent"


# ------------------------------------------------------------- long messages


def test_sign_buried_in_a_long_message(detector):
    text = (
        "I've been running about 45km a week since January, mostly easy with one tempo "
        "session. Sleep is around 7 hours and I eat a normal diet with plenty of carbs. "
        "My legs have been heavy for a fortnight. On Saturday I blacked out for a few "
        "seconds at the end of my long run, but I felt fine after a drink. My shoes are "
        "new and I've not changed anything else. What do you think is going on?"
    )
    found = detector.detect_text(text)
    assert "fainting" in found.affirmed
    assert found.level == "emergency"
    mention = next(m for m in found.mentions if m.sign == "fainting")
    assert text[mention.start_char:mention.end_char] == mention.text == "blacked out"


def test_long_benign_message(detector):
    text = (
        "Week summary: Monday 8k easy, Tuesday intervals, Thursday 10k steady, Sunday "
        "long run of 21k. Legs felt heavy and a bit sore, normal DOMS after the long "
        "run, no pain or swelling, nothing tingly. Sleeping 6 hours because of work."
    )
    found = detector.detect_text(text)
    assert found.level == "none"
    assert {"pain", "swelling", "tingling"} <= found.negated


# -------------------------------------------------------------- level rules

LEVEL_CASES = [
    # emergency
    ({"chest_pain"}, "emergency"),
    ({"breathlessness"}, "emergency"),
    ({"exertional_breathlessness", "swelling"}, "emergency"),
    ({"exertional_breathlessness", "chest_pain"}, "emergency"),
    ({"coughing_blood"}, "emergency"),
    ({"fainting"}, "emergency"),
    ({"dark_urine", "severe_pain"}, "emergency"),
    ({"dark_urine", "muscle_weakness"}, "emergency"),
    ({"dark_urine", "hard_exercise"}, "emergency"),
    ({"cold_limb"}, "emergency"),
    ({"pale_limb"}, "emergency"),
    ({"blue_limb"}, "emergency"),
    ({"cannot_feel_leg"}, "emergency"),
    ({"cannot_move_leg"}, "emergency"),
    ({"tight_swollen_leg", "sudden_pain"}, "emergency"),
    ({"tight_swollen_leg", "severe_pain"}, "emergency"),
    # urgent
    ({"swelling", "one_sided"}, "urgent"),
    ({"swelling", "one_sided", "warmth"}, "urgent"),
    ({"swelling", "warmth"}, "urgent"),
    ({"swelling", "redness"}, "urgent"),
    ({"swelling", "skin_darkening"}, "urgent"),
    ({"swelling", "long_travel"}, "urgent"),
    ({"long_travel", "one_sided", "pain"}, "urgent"),
    ({"long_travel", "one_sided", "tenderness"}, "urgent"),
    ({"one_sided", "tenderness", "warmth"}, "urgent"),
    ({"one_sided", "tenderness", "redness"}, "urgent"),
    ({"one_sided", "tenderness", "skin_darkening"}, "urgent"),
    ({"cannot_bear_weight"}, "urgent"),
    ({"severe_pain"}, "urgent"),
    ({"dark_urine"}, "urgent"),
    ({"tight_swollen_leg"}, "urgent"),
    ({"sudden_pain", "swelling"}, "urgent"),
    # see_professional
    ({"swelling"}, "see_professional"),
    ({"swelling", "tenderness"}, "see_professional"),
    ({"tingling"}, "see_professional"),
    ({"numbness"}, "see_professional"),
    ({"pain"}, "see_professional"),
    ({"sudden_pain"}, "see_professional"),
    ({"bone_tenderness"}, "see_professional"),
    ({"recurring_pain"}, "see_professional"),
    ({"persistent_heaviness"}, "see_professional"),
    ({"dizziness"}, "see_professional"),
    ({"pallor"}, "see_professional"),
    ({"exertional_breathlessness", "constant_tiredness"}, "see_professional"),
    ({"tenderness", "warmth"}, "see_professional"),
    ({"tenderness", "redness"}, "see_professional"),
    ({"tenderness", "skin_darkening"}, "see_professional"),
    ({"long_travel", "pain"}, "see_professional"),
    ({"long_travel", "one_sided"}, "see_professional"),
    ({"warmth", "redness"}, "see_professional"),
    # none: modifiers alone and together
    (set(), "none"),
    ({"one_sided"}, "none"),
    ({"long_travel"}, "none"),
    ({"hard_exercise"}, "none"),
    ({"warmth"}, "none"),
    ({"redness"}, "none"),
    ({"skin_darkening"}, "none"),
    ({"tenderness"}, "none"),
    ({"constant_tiredness"}, "none"),
    ({"muscle_weakness"}, "none"),
    ({"exertional_breathlessness"}, "none"),
    ({"one_sided", "hard_exercise", "warmth"}, "none"),
    ({"muscle_weakness", "hard_exercise"}, "none"),
]


@pytest.mark.parametrize("signs, level", LEVEL_CASES)
def test_escalation_level(signs, level):
    assert escalation_level(signs) == level


def test_every_level_rule_is_covered_by_a_case():
    vocab = load_vocabulary()
    for rule in vocab.level_rules:
        covering = [
            (signs, level) for signs, level in LEVEL_CASES
            if rule.fires(frozenset(signs)) and level == rule.level
        ]
        assert covering, f"no level case exercises rule {rule}"


def test_modifiers_never_escalate_alone():
    vocab = load_vocabulary()
    modifiers = [s.name for s in vocab.signs.values() if s.modifier]
    assert {"one_sided", "long_travel", "hard_exercise"} <= set(modifiers)
    for name in modifiers:
        assert escalation_level([name]) == "none"
    for spec in vocab.signs.values():
        if not spec.modifier:
            assert escalation_level([spec.name]) != "none", spec.name


def test_required_sign_names_exist():
    required = {
        "swelling", "tingling", "numbness", "pain", "severe_pain", "sudden_pain", "chest_pain",
        "breathlessness", "coughing_blood", "fainting", "dark_urine", "cold_limb", "pale_limb",
        "blue_limb", "cannot_feel_leg", "cannot_move_leg", "one_sided", "warmth", "redness",
        "skin_darkening", "tenderness", "bone_tenderness", "recurring_pain",
        "cannot_bear_weight", "long_travel", "persistent_heaviness", "dizziness", "pallor",
        "constant_tiredness", "muscle_weakness", "hard_exercise", "tight_swollen_leg",
    }
    assert required <= set(load_vocabulary().signs)


def test_escalation_level_rejects_unknown_signs():
    with pytest.raises(ValueError):
        escalation_level(["swelling", "not_a_sign"])


@pytest.mark.parametrize(
    "text, level, signs",
    [
        ("I have chest pain", "emergency", {"chest_pain"}),
        ("I'm short of breath sitting on the couch", "emergency", {"breathlessness"}),
        ("short of breath on the hills", "none", {"exertional_breathlessness"}),
        ("out of breath even lying in bed", "emergency", {"breathlessness"}),
        ("breathless on runs and tired all the time", "see_professional",
         {"exertional_breathlessness", "constant_tiredness"}),
        ("I'm breathless and my calf is swollen", "emergency",
         {"exertional_breathlessness", "swelling"}),
        ("my pee is brown", "urgent", {"dark_urine"}),
        ("my pee is brown after the marathon", "emergency", {"dark_urine", "hard_exercise"}),
        ("my right calf is swollen and warm", "urgent", {"swelling", "one_sided", "warmth"}),
        ("calf swelling after a long flight", "urgent", {"swelling", "long_travel"}),
        ("my calf is tight and swollen", "urgent", {"tight_swollen_leg", "swelling"}),
        ("sudden severe pain and my leg is tight and swollen", "emergency",
         {"tight_swollen_leg", "severe_pain", "sudden_pain"}),
        ("I can't put weight on my foot", "urgent", {"cannot_bear_weight"}),
        ("my toes have turned blue", "emergency", {"blue_limb"}),
        ("my foot has gone cold and pale", "emergency", {"cold_limb", "pale_limb"}),
        ("I cannot move my foot", "emergency", {"cannot_move_leg"}),
        ("my ankles are swollen", "see_professional", {"swelling"}),
        ("I have a tender spot on my shin bone", "see_professional", {"bone_tenderness"}),
        ("it hurts in the same spot every run", "see_professional",
         {"pain", "recurring_pain"}),
        ("took a week off and my legs are still heavy", "see_professional",
         {"persistent_heaviness"}),
        ("my left leg feels heavier than my right", "none", {"one_sided"}),
        ("I flew to Spain for a race and my legs felt heavy", "none",
         {"long_travel", "hard_exercise"}),
    ],
)
def test_levels_from_text(detector, text, level, signs):
    found = detector.detect_text(text)
    assert found.level == level, found
    assert signs <= found.affirmed, found


def test_level_rank():
    assert [level_rank(level) for level in LEVELS] == [0, 1, 2, 3]
    assert level_rank("emergency") > level_rank("urgent") > level_rank("see_professional")
    assert LEVELS == ("none", "see_professional", "urgent", "emergency")
    with pytest.raises(ValueError):
        level_rank("critical")


# ------------------------------------------------------------- API details


def test_findings_shape(detector, nlp):
    text = "No pain but my LEFT calf is Swollen; maybe a bit of tingling. Is numbness normal?"
    found = detector.detect(nlp(text))
    assert found == detector.detect_text(text)
    assert found.affirmed == {"swelling", "one_sided"}
    assert found.negated == {"pain"}
    assert found.hedged == {"tingling"}
    assert found.asked_about == {"numbness"}
    assert found.level == "urgent"
    for m in found.mentions:
        assert text[m.start_char:m.end_char] == m.text
        assert m.status in ("affirmed", "negated", "hedged", "question")
    with pytest.raises(AttributeError):
        found.level = "none"  # frozen


def test_empty_and_whitespace_messages(detector):
    for text in ("", "   ", "\n"):
        found = detector.detect_text(text)
        assert found.mentions == () and found.level == "none"


def test_newlines_end_a_negation(detector):
    found = detector.detect_text("no pain\nmy calf is swollen")
    assert "swelling" in found.affirmed and "pain" in found.negated


# ------------------------------------------------------ white space and case


@pytest.mark.parametrize(
    "gap", ["  ", "\t", "\u00a0", " \t\u00a0 ", "\u2009", "\n", "\r\n", " \n "])
def test_white_space_between_the_words_of_a_sign(detector, nlp, gap):
    """spaCy makes white space tokens of these; the matchers skip them (a single
    line break inside a sign's words is a wrapped line)."""
    text = f"I've got chest{gap}pain after my run"
    for found in (detector.detect_text(text), detector.detect(nlp(text))):
        assert found.affirmed == {"chest_pain"} and found.level == "emergency", (gap, found)
        (mention,) = found.mentions
        assert mention.text == f"chest{gap}pain"
        assert text[mention.start_char:mention.end_char] == mention.text


@pytest.mark.parametrize(
    "text, affirmed, negated",
    [
        # a line break ends a negation's scope...
        ("no numbness\nchest pain", {"chest_pain"}, {"numbness"}),
        ("no numbness\r\n\r\nchest pain", {"chest_pain"}, {"numbness"}),
        ("no swelling\u2028chest pain", {"chest_pain"}, {"swelling"}),
        ("No pain\nmy calf is swollen", {"swelling"}, {"pain"}),
        # ...but a sign's words across one line break read as one line
        ("no chest\npain", set(), {"chest_pain"}),
        ("pins and\nneedles in my foot", {"tingling"}, set()),
        # a blank line is a paragraph, never a wrapped line
        ("no chest\n\npain", {"pain"}, set()),
        # a wildcard never skips over a line break (lists)
        ("chest ok\n- pain after 5k", {"pain"}, set()),
        ("chest ok - pain after 5k", {"chest_pain"}, set()),
    ],
)
def test_line_breaks(detector, nlp, text, affirmed, negated):
    for found in (detector.detect_text(text), detector.detect(nlp(text))):
        assert found.affirmed == affirmed, found
        assert found.negated == negated, found


def test_a_wrapped_line_reads_as_one_line(detector):
    one_line = detector.detect_text("My foot has gone cold and looks white")
    wrapped = detector.detect_text("My foot has gone\ncold and looks white")
    assert wrapped.affirmed == one_line.affirmed == {"cold_limb", "pale_limb"}


@pytest.mark.parametrize(
    "text, sign",
    [
        ("I CAN'T PUT WEIGHT ON MY LEG", "cannot_bear_weight"),
        ("I Can'T Put Weight On My Leg", "cannot_bear_weight"),
        ("I   CAN'T   CATCH   MY   BREATH", "breathlessness"),
        ("MY CALF IS SWOLLEN", "swelling"),
        ("PINS AND NEEDLES IN MY FOOT", "tingling"),
    ],
)
def test_case_does_not_matter(detector, nlp, text, sign):
    for found in (detector.detect_text(text), detector.detect(nlp(text)),
                  detector.detect_text(text.lower())):
        assert sign in found.affirmed, found


def test_no_negation_lost_to_case(detector):
    found = detector.detect_text("I DON'T HAVE ANY SWELLING AND I CAN'T FEEL ANY NUMBNESS")
    assert found.level == "none" and {"swelling"} <= found.negated, found


def test_offsets_and_words_point_into_the_text_as_given(detector):
    text = "\tİİ my CALF   is\u00a0SWOLLEN and there's PAIN IN MY CHEST"
    found = detector.detect_text(text)
    assert {"swelling", "chest_pain"} <= found.affirmed
    for m in found.mentions:
        assert text[m.start_char:m.end_char] == m.text
        assert m.words and all(m.start_char <= a < b <= m.end_char for a, b in m.words)
    chest = next(m for m in found.mentions if m.sign == "chest_pain")
    assert [text[a:b] for a, b in chest.words] == ["PAIN", "CHEST"]  # not the skipped words


def test_lone_surrogates_and_control_characters_do_not_raise(detector):
    assert detector.detect_text("\ud800 chest pain\x00\x0b").level == "emergency"


def test_describe_signs():
    assert describe_signs([]) == ""
    assert describe_signs(["swelling"]) == "swelling"
    phrase = describe_signs(["warmth", "swelling"])
    assert phrase.startswith("swelling") and " and " in phrase


def test_detection_is_fast(detector):
    texts = [
        "my legs feel heavy and my left calf is swollen and warm after a long flight",
        "no pain, tingling or numbness, just heavy legs on every run this week",
    ] * 100
    start = time.perf_counter()
    for text in texts:
        detector.detect_text(text)
    assert time.perf_counter() - start < 3.0


def test_build_matchers_once_per_detector(nlp):
    matchers = build_matchers(nlp)
    assert len(matchers.matcher) > 0
    assert len(matchers.phrase_lower) > 0 and len(matchers.phrase_lemma) > 0


# ------------------------------------------------------- vocabulary checks


def test_default_vocabulary_loads_and_is_cached():
    vocab = load_vocabulary()
    assert vocab is load_vocabulary()
    assert vocab is load_vocabulary(DEFAULT_VOCABULARY_PATH)
    for rule in vocab.level_rules:
        assert rule.comment


def _minimal() -> dict:
    return {
        "version": 1,
        "word_sets": {"leg_part": ["leg", "calf"]},
        "signs": {
            "swelling": {"description": "Swelling.", "lemmas": ["swell"]},
            "one_sided": {"description": "One leg.", "modifier": True,
                          "patterns": ["left|right $leg_part"]},
        },
        "negation": {"pre": ["no"], "scope_terminators": ["but"]},
        "hedges": {"pre": ["maybe"]},
        "questions": {"aux_starters": ["is"], "wh_words": ["when"]},
        "level_rules": [
            {"level": "see_professional", "all": ["swelling"], "comment": "Any swelling."},
            {"level": "urgent", "all": ["swelling", "one_sided"], "comment": "One leg swollen."},
        ],
    }


def _write(tmp_path: Path, data) -> Path:
    path = tmp_path / "red_flags.yml"
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data), encoding="utf-8")
    return path


def test_minimal_vocabulary_works(tmp_path, nlp):
    vocab = load_vocabulary(_write(tmp_path, _minimal()))
    det = RedFlagDetector(nlp, vocab)
    assert det.detect_text("my right calf is swollen").level == "urgent"
    assert det.detect_text("no swelling").level == "none"
    assert det.detect_text("maybe swelling").hedged == {"swelling"}


def _broken(mutate):
    data = _minimal()
    mutate(data)
    return data


@pytest.mark.parametrize(
    "data, message",
    [
        ("signs: [unclosed", "not valid YAML"),
        ("- just\n- a list\n", "top level"),
        (_broken(lambda d: d.pop("level_rules")), "missing top-level"),
        (_broken(lambda d: d.update(extra=1)), "unknown top-level"),
        (_broken(lambda d: d.update(version=2)), "version"),
        (_broken(lambda d: d["level_rules"][0].update(level="critical")), "level must be"),
        (_broken(lambda d: d["level_rules"][1]["all"].append("swollen_leg")), "unknown sign"),
        (_broken(lambda d: d["level_rules"][0].pop("comment")), "comment"),
        (_broken(lambda d: d["signs"]["one_sided"].update(patterns=["left $arm"])),
         "unknown word set"),
        (_broken(lambda d: d["signs"]["one_sided"].update(patterns=["*2 leg"])), "wildcard"),
        (_broken(lambda d: d["signs"]["one_sided"].update(patterns=["left *99 leg"])), "wildcard"),
        (_broken(lambda d: d["signs"]["swelling"].pop("lemmas")), "at least one"),
        (_broken(lambda d: d["signs"]["swelling"].update(lemmas="swell")), "expected a list"),
        (_broken(lambda d: d["signs"]["swelling"].update(colour="red")), "unknown keys"),
        (_broken(lambda d: d["signs"]["swelling"].update(modifier=True)), "modifier"),
        (_broken(lambda d: d["signs"]["one_sided"].update(modifier=False)), "no level rule"),
        (_broken(lambda d: d["signs"]["swelling"].update(supersedes=["nothing"])), "unknown sign"),
        (_broken(lambda d: d["signs"]["swelling"].update(misspellings={"swo len": "swollen"})),
         "single word"),
        (_broken(lambda d: d["negation"].update(pre=[])), "must not be empty"),
        (_broken(lambda d: d["negation"].update(pre=[False])), "non-empty strings"),
        (_broken(lambda d: d.update(settings={"negation_window": -1})), "non-negative"),
        (_broken(lambda d: d.update(settings={"window": 3})), "unknown setting"),
        (_broken(lambda d: d["signs"].update({"Bad Name": {"description": "x",
                                                           "lemmas": ["x"]}})),
         "lower_snake_case"),
    ],
)
def test_broken_vocabulary_is_rejected(tmp_path, data, message):
    with pytest.raises(VocabularyError, match=message):
        load_vocabulary(_write(tmp_path, data))


def test_multiword_slot_is_rejected_when_building_matchers(tmp_path, nlp):
    data = _broken(lambda d: d["signs"]["one_sided"].update(patterns=["can't $leg_part"]))
    vocab = load_vocabulary(_write(tmp_path, data))
    with pytest.raises(VocabularyError, match="single word"):
        build_matchers(nlp, vocab)


def test_missing_vocabulary_file(tmp_path):
    with pytest.raises(VocabularyError, match="cannot read"):
        load_vocabulary(tmp_path / "nope.yml")

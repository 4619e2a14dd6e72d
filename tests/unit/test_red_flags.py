"""The concept-based warning-sign detector (bot/triage/red_flags.py + knowledge file)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from bot.triage.red_flags import (
    LEVELS,
    RedFlagDetector,
    VocabularyError,
    describe_signs,
    escalation_level,
    level_rank,
    load_vocabulary,
    parse_vocabulary,
)

KNOWLEDGE = Path(__file__).resolve().parents[2] / "bot" / "knowledge" / "red_flags.yml"


@pytest.fixture(scope="module")
def detector() -> RedFlagDetector:
    return RedFlagDetector()


def level(detector: RedFlagDetector, text: str) -> str:
    return detector.detect_text(text).level


# ----------------------------------------------------------- the issue's cases, as classes

@pytest.mark.parametrize(("text", "expected"), [
    # cauda equina: numb groin, bladder trouble
    ("my groin feels numb and I've had trouble peeing since the long run", "emergency"),
    ("numb between my legs when I wipe and my lower back is killing me", "emergency"),
    # heat illness: stopped sweating, hot, confused
    ("I've stopped sweating, I feel hot and muddled", "emergency"),
    ("skin's hot and bone dry after the midday 10k and cooling isn't helping", "emergency"),
    # exercise-associated hyponatraemia: drank a lot, then headache and vomiting
    ("drank a lot of water in the race, now a pounding headache and I keep being sick",
     "emergency"),
    ("guzzled litres at every aid station, now my rings won't come off and I feel sick",
     "emergency"),
    # collapse / loss of consciousness
    ("I went down at mile 20 and came round on the pavement", "emergency"),
    ("blacked out for a few seconds after the finish", "emergency"),
    # suspected DVT: one warm aching calf, travel
    ("my calf is warm and aching since the flight back", "urgent"),
    ("my calf is warm and achy, only on one side", "urgent"),
    ("this calf is bigger than the other one and throbbing", "urgent"),
    # figures of speech about tired legs never escalate
    ("I couldn't move my legs by the end of the run", "none"),
    ("legs were dead by 30k, absolutely toast", "none"),
    ("my legs just wouldn't go any faster on the last mile", "none"),
])
def test_the_issue_presentations(detector: RedFlagDetector, text: str, expected: str) -> None:
    assert level(detector, text) == expected, detector.detect_text(text)


# --------------------------------------------------------------------------- context

@pytest.mark.parametrize("text", [
    "no swelling, no tingling and no pain, just heavy legs",
    "I don't have any swelling or pain, the legs are just heavy",
    "swelling? none. numbness? none",
    "pain free, just sluggish legs",
    "my dad has chest pain and is seeing his GP",
    "a guy at parkrun collapsed last week, he's fine now",
    "had a stress fracture two years ago, fully healed",
    "I had a DVT when pregnant, four years ago, it fully resolved",
    "what if my calf swells up after the flight?",
    "when should I worry about chest pain?",
    "is numbness in the feet ever serious?",
    "hit the wall at 35k and bonked, legs like lead",
])
def test_ordinary_contexts_do_not_escalate(detector: RedFlagDetector, text: str) -> None:
    found = detector.detect_text(text)
    assert found.level == "none", found


@pytest.mark.parametrize(("text", "expected"), [
    # a list after a negation ends where a new clause starts
    ("no pain but my calf is swollen and hot", "urgent"),
    ("my brain isn't working, forgot my son's name after the race", "emergency"),
    ("I don't have swelling I have tingling", "see_professional"),
    # the runner again after someone else
    ("my wife says I'm slurring my words since the race", "emergency"),
    # past, then now
    ("had a DVT in 2019 and now my other calf is swollen and warm", "urgent"),
    # a question that states one's own sign
    ("is it normal that my feet go numb on long runs?", "see_professional"),
    ("is chest pain after a run normal? I keep getting it", "emergency"),
    # a hedged emergency sign still counts; a "?" alone is not a question
    ("prob nothing but I've got a tight band across my chest", "emergency"),
    ("winded just sitting here, lips look a bit blue?", "emergency"),
    # a line break ends a negation's reach; a wrapped line keeps a sign
    ("no numbness\nchest pain since the run", "emergency"),
    ("I've got chest\npain after my run", "emergency"),
])
def test_signs_in_context(detector: RedFlagDetector, text: str, expected: str) -> None:
    assert level(detector, text) == expected, detector.detect_text(text)


def test_a_hedge_asks_only_about_signs_that_need_a_professional(
        detector: RedFlagDetector) -> None:
    tingling = detector.detect_text("maybe a bit of tingling in my toes")
    assert tingling.hedged == {"tingling"} and tingling.level == "none"
    chest = detector.detect_text("maybe a bit of chest pain on the hill")
    assert "chest_pain" in chest.affirmed and chest.level == "emergency"


def test_effort_breathlessness_is_ordinary_and_rest_breathlessness_is_not(
        detector: RedFlagDetector) -> None:
    assert level(detector, "gasping on the hill reps, got my breath back at the top") == "none"
    assert level(detector, "can't catch my breath sitting on the sofa an hour later") == (
        "emergency")


def test_modifiers_never_escalate_on_their_own(detector: RedFlagDetector) -> None:
    found = detector.detect_text("long flight home yesterday, one calf a bit stiff")
    assert found.level == "none"
    vocab = load_vocabulary()
    for name, sign in vocab.signs.items():
        if sign.modifier:
            assert vocab.level_for([name]) == "none", name


def test_a_mention_keeps_its_place_in_the_message(detector: RedFlagDetector) -> None:
    text = "Legs heavy. My CALF  is\tSWOLLEN today"
    (swelling,) = [m for m in detector.detect_text(text).mentions if m.sign == "swelling"]
    assert text[swelling.start_char:swelling.end_char] == "SWOLLEN"
    assert (text.index("CALF"), text.index("CALF") + 4) in swelling.words


def test_typos_and_chat_spellings_are_read(detector: RedFlagDetector) -> None:
    assert "tingling" in detector.detect_text("tinglng in my feet").affirmed
    assert level(detector, "cant breathe properly, sat down") == "emergency"
    assert level(detector, "I feinted on the track") == "emergency"


# ------------------------------------------------------------------- speed, linearity

def test_time_grows_linearly_with_the_message(detector: RedFlagDetector) -> None:
    def cost(text: str) -> float:
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            detector.detect_text(text)
            best = min(best, time.perf_counter() - start)
        return best

    unit = "no pain, no swelling, not numb - chest? calf, "
    short, long = cost(unit * 10), cost(unit * 40)
    assert long < 8 * short + 0.01  # 4x the text: at most about 4x the time (+ slack)


# ------------------------------------------------------------------ the knowledge file

def test_every_sign_is_in_a_rule_or_a_modifier() -> None:
    vocab = load_vocabulary()
    ruled = {s for rule in vocab.rules for s in rule.all_of | rule.any_of}
    for name, sign in vocab.signs.items():
        assert sign.modifier or name in ruled, name
        assert sign.label and sign.description, name


def test_the_knowledge_file_is_checked_when_loaded() -> None:
    data = yaml.safe_load(KNOWLEDGE.read_text())
    broken = dict(data, rules=[*data["rules"], {"level": "urgent", "all": ["no_such_sign"]}])
    with pytest.raises(VocabularyError, match="unknown sign"):
        parse_vocabulary(broken)
    signs = dict(data["signs"])
    signs["orphan"] = {"label": "x", "find": [{"any": "chest"}]}
    with pytest.raises(VocabularyError, match="in no rule"):
        parse_vocabulary(dict(data, signs=signs))
    signs = dict(data["signs"])
    signs["typo"] = {"label": "x", "modifier": True, "find": [{"any": "chestt"}]}
    with pytest.raises(VocabularyError, match="unknown class"):
        parse_vocabulary(dict(data, signs=signs))


def test_levels_and_labels() -> None:
    assert escalation_level(["swelling", "one_sided"]) == "urgent"
    assert escalation_level(["swelling"]) == "see_professional"
    assert escalation_level(["chest_pain", "a_sign_of_an_older_version"]) == "emergency"
    assert escalation_level([]) == "none"
    assert [level_rank(level) for level in LEVELS] == [0, 1, 2, 3]
    assert describe_signs(["chest_pain"]) == "chest pain or tightness"
    assert describe_signs(["swelling", "chest_pain"]).count(" and ") == 1


@pytest.mark.parametrize(("text", "expected"), [
    # a faint counts even when it is over; only a long-past time makes it history
    ("passed out at the end of my long run, feel fine now", "emergency"),
    ("I fainted at a race years ago, nothing since, legs heavy today", "none"),
    # a question about the runner's own symptom, with a statement after it
    ("is it normal to be confused after a marathon? i keep asking the same questions",
     "emergency"),
    ("is it normal to feel confused after a marathon?", "none"),
    # a hedged modifier still counts with the sign it comes with
    ("I think I over-drank water at the marathon, now sick with a banging headache",
     "emergency"),
])
def test_over_owned_and_hedged_context(detector: RedFlagDetector, text: str,
                                       expected: str) -> None:
    assert level(detector, text) == expected, detector.detect_text(text)


@pytest.mark.parametrize(("text", "expected"), [
    # sixth round: a question, then the runner's own answer to it
    ("is it normal for one calf to swell up after a flight? mine is, and it's hot too",
     "urgent"),
    ("what does a swollen ankle mean? mine is fine, just curious", "none"),
    ("do you get breathless from a swollen calf? cos I've got both", "emergency"),
    # "can barely", "could be": statements, not questions
    ("can barely breathe lying on the sofa since my run", "emergency"),
    ("might be food poisoning I guess, but I drank loads of water in the race and now "
     "I'm throwing up with a headache", "emergency"),
    # "all at once", "half past", "not long ago" are now, not history
    ("went breathless all at once on the sofa at half past 8 and it hasn't settled",
     "emergency"),
    ("coughed up blood not long ago after my intervals", "emergency"),
    # pain in runners' euphemisms, for weeks or not settling
    ("my achilles has been grumbling for two months now", "see_professional"),
    ("my hip has ached for three weeks and it's not getting any better", "see_professional"),
    ("legs sore after the race and not getting any better yet", "none"),
    # seventh round: everyday words for signs, and everyday phrases that are not signs
    ("my mum's ankles puff up in the evenings, she's 80", "none"),
    ("walking the dog my calf cramps after a few hundred metres and eases when I stand still",
     "see_professional"),
    ("quads so sore after leg day I can barely get off the toilet", "none"),
    ("pace totally collapsed in the last 5k of the half", "none"),
    ("my legs just wouldn't move on the last hill of the race", "none"),
    ("calves sore for no reason, the only change is my statin", "see_professional"),
    ("hypothetically, how bad is coughing up blood after a cold race?", "none"),
    ("both ankles have gone podgy and my socks leave deep grooves", "see_professional"),
    ("bit of a mind-numbing treadmill run, legs heavy", "none"),
])
def test_context_classes_of_the_sixth_and_seventh_rounds(detector: RedFlagDetector, text: str,
                                                         expected: str) -> None:
    assert level(detector, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    # eighth round: big-muscle soreness after a race that is settling is DOMS, however it
    # is put; pain at a joint, a bone or the foot, sharp pain or one leg still counts
    ("the half marathon wrecked my thighs, walking was agony on sunday but they are a bit better "
     "each day now", "none"),
    ("hamstrings hurt loads after the trail race yesterday, already easing though", "none"),
    ("after the race my quads hurt but it is easing, my knee hurts when I bend it though",
     "see_professional"),
    ("calves hurt after the race, easing now, but there's a sharp pain in one spot",
     "see_professional"),
    ("my quads are in agony after the race", "urgent"),
    # a time word that is one of the ways the sign is said: still no urine
    ("peed a few drops of brown stuff after the ultra and nothing since, 10 hours now",
     "emergency"),
    ("after the marathon I only managed a dribble of wee, nothing since", "urgent"),
    ("fainted at a race in 2015, nothing since, legs a bit tired today", "none"),
    # inabilities said with "seem to", "proper"
    ("lying in bed and I can't seem to get a proper breath in", "emergency"),
    ("couldn't get a decent breath for ten minutes just sitting at my desk", "emergency"),
    # a figure of speech about one's own body is not someone else
    ("my feet feel like they belong to somebody else, tingling for a fortnight",
     "see_professional"),
    # possessives written without the apostrophe, people in films
    ("my husbands calf swelled up and went hot after his flight", "none"),
    ("saw a documentary where a runner collapses near the end, how common is that", "none"),
    # "they never used to": a change now, not a denial and not history
    ("my calves cramp at night like they never used to since I started a statin",
     "see_professional"),
    # couldn't feel my legs by the end of a race is tiredness; one leg that can't be felt is not
    ("could not feel my legs by the end of the 50k, fine after a bath", "none"),
    ("I can't feel my left leg and it is cold", "emergency"),
    # a hedge of a sign that keeps coming back or lasts describes it; the runner is sure
    ("kind of numb in my toes after every run for a fortnight", "see_professional"),
    ("maybe a little tingling in my fingers once, I think", "none"),
    # a fear is a supposition
    ("my worst fear at the marathon is passing out in front of everyone", "none"),
])
def test_context_classes_of_the_eighth_round(detector: RedFlagDetector, text: str,
                                             expected: str) -> None:
    assert level(detector, text) == expected, detector.detect_text(text)


@pytest.mark.parametrize(("text", "expected"), [
    # ninth round: a question word with the runner as the subject tells, it does not ask
    ("when I got out of the bath after the half I passed out", "emergency"),
    ("what I wasn't ready for was the pain in my chest at the finish", "emergency"),
    ("when should I worry about feeling faint on a run?", "none"),
    # an ellipsis going on in lower case is a pause, not a new sentence
    ("my right calf... it's swollen and warm since the long drive", "urgent"),
    # a mild or intermittent sign is still the sign; a doubt at the end of the clause hedges
    ("slight numbness along the outside of my foot since tuesday", "see_professional"),
    ("my heart goes haywire now and then on easy jogs", "see_professional"),
    ("a sort of prickly feeling in my heel i think", "none"),
    # walking, then the calf cramps, then standing still eases it: in everyday words
    ("on my lunchtime stroll my calves get a dull cramp and i have to wait at a bench "
     "before it fades", "see_professional"),
    ("quads cramp walking downstairs after the marathon, better after a sit down", "none"),
    # toes or a foot that go to sleep; a runner who goes to sleep
    ("my toes go to sleep halfway round every run", "see_professional"),
    ("I go to sleep early before long runs, legs fresher", "none"),
    # "dad's" is the father, someone else
    ("my dad's ankle went blue and cold last week, he's in hospital now", "none"),
    # "since last summer" is ongoing, not history
    ("no period since last winter and i'm running 70k a week", "see_professional"),
    # pain with race soreness said as such is DOMS, unless at a joint or one leg only
    ("post marathon soreness in my calves, it hurts getting off the sofa", "none"),
    ("post marathon soreness in my calves, and my knee hurts when i bend it",
     "see_professional"),
    # "it's not in one spot" denies the spot
    ("the ache is not in one spot, just general tired legs", "none"),
    # an injury that keeps coming back, and pain still there despite treatment
    ("i keep reinjuring the same hamstring, pulled it again on saturday",
     "see_professional"),
    ("my knee still aches despite two weeks of physio and rest", "see_professional"),
    # supposed after the sign, in a question
    ("would a dvt show up on a scan if i got one after my flight?", "none"),
])
def test_context_classes_of_the_ninth_round(detector: RedFlagDetector, text: str,
                                            expected: str) -> None:
    assert level(detector, text) == expected, detector.detect_text(text)

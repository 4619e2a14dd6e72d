"""What a returning runner probably still has, in words (pure Python, no database).

``recall(profile, assessment, now)`` turns the stored rows into the ``recalled``
slot (JSON-safe); the other functions phrase the welcome, the confirmation
questions, the comparison with last time and the summary to share.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, Iterable, List, Mapping

from bot.dialogue.confirmations import read_confirmation
from bot.dialogue.form_answers import read_answer

PREFILLED = ("weekly_distance_km", "shoe_distance_km")

LEVEL_ADVICE = {
    "see_professional": "Advice given: book an appointment with a GP, sports doctor or "
                        "physiotherapist within a few days.",
    "urgent": "Advice given: get medical care the same day.",
    "emergency": "Advice given: call the emergency number straight away.",
}


def _days_between(then: datetime | None, now: datetime) -> int | None:
    if then is None:
        return None
    return max(0, (now - then).days)


def _number(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _short(value: float) -> str:
    return f"{value:.0f}" if abs(value - round(value)) < 0.05 else f"{value:.1f}"


def cause_titles() -> Dict[str, str]:
    from bot.triage.engine import load_causes

    return {cause.id: cause.title for cause in load_causes()}


def recall(profile: Mapping[str, Any] | None, assessment: Mapping[str, Any] | None,
           now: datetime) -> Dict[str, Any] | None:
    """The ``recalled`` slot for a runner seen before, or None for a new runner."""
    if not profile and not assessment:
        return None
    profile = profile or {}
    answers = dict((assessment or {}).get("answers") or {})
    weekly = _number(profile.get("weekly_distance_km"))
    shoes = _number(profile.get("shoe_distance_km"))
    shoe_days = _days_between(profile.get("shoe_distance_at"), now)
    estimate = None
    if shoes is not None:
        estimate = shoes
        if weekly and shoe_days:
            estimate = shoes + weekly * shoe_days / 7.0
        estimate = float(round(estimate / 10.0) * 10) if estimate >= 50 else round(estimate, 1)
    created = (assessment or {}).get("created_at")
    return {
        "days_ago": _days_between(created, now),
        "date": created.date().isoformat() if isinstance(created, datetime) else None,
        "weekly_distance_km": weekly,
        "shoe_distance_km": shoes,
        "shoe_days_ago": shoe_days,
        "shoe_estimate_km": estimate,
        "diet_factors": list(profile.get("diet_factors") or []),
        "answers": answers,
        "likely_causes": list((assessment or {}).get("likely_causes") or []),
        "escalation_level": (assessment or {}).get("escalation_level") or "none",
        "red_flags": list((assessment or {}).get("red_flags") or []),
    }


def _ago(days: int | None) -> str:
    if days is None:
        return "last time"
    if days == 0:
        return "earlier today"
    if days == 1:
        return "yesterday"
    return f"{days} days ago"


def welcome_back(recalled: Mapping[str, Any]) -> str:
    titles = cause_titles()
    causes = [titles.get(c, c).lower() for c in recalled.get("likely_causes") or []][:2]
    text = "Welcome back!"
    if recalled.get("days_ago") is not None:
        text += f" We last looked at your legs {_ago(recalled['days_ago'])}"
        text += f", and the likely causes were {' and '.join(causes)}." if causes else "."
    text += (" Tell me how your legs feel today and we can pick up from there: I'll check "
             "what may have changed instead of asking everything again.")
    return text


def confirmation_question(slot: str, recalled: Mapping[str, Any]) -> str | None:
    """The question that confirms a remembered figure, or None to ask afresh."""
    weekly = recalled.get("weekly_distance_km")
    if slot == "weekly_distance_km" and weekly:
        return (f"{_ago(recalled.get('days_ago')).capitalize()} you ran about "
                f"{_short(weekly)} km a week. Is that still about right?")
    shoes, estimate = recalled.get("shoe_distance_km"), recalled.get("shoe_estimate_km")
    if slot == "shoe_distance_km" and shoes is not None and estimate is not None:
        days = recalled.get("shoe_days_ago")
        if weekly and days:
            return (f"{_ago(days).capitalize()} your shoes had {_short(shoes)} km and you run "
                    f"about {_short(weekly)} km a week: are they the same pair, so about "
                    f"{_short(estimate)} km now?")
        return f"Last time your shoes had {_short(shoes)} km on them. Are they the same pair?"
    return None


def remembered_value(slot: str, recalled: Mapping[str, Any]) -> float | None:
    if slot == "shoe_distance_km":
        return _number(recalled.get("shoe_estimate_km"))
    return _number(recalled.get(slot))


def read_prefill_answer(slot: str, text: str, intent: str | None,
                        slots: Mapping[str, Any]) -> Dict[str, Any]:
    """The slot updates for an answer to :func:`confirmation_question`."""
    recalled = slots.get("recalled") or {}
    parsed = read_answer(slot, text, intent, dict(slots))
    if parsed.get(slot) is not None:  # "no, about 300 km now": a new figure wins
        return {**parsed, "prefill_offer": None}
    answer = read_confirmation(text, intent)
    lowered = text.lower()
    if slot == "shoe_distance_km" and ("new pair" in lowered or "new shoes" in lowered
                                       or lowered.strip() in {"new", "they're new"}):
        return {slot: 0.0, "answer_unparsed": None, "prefill_offer": None}
    if answer == "yes":
        return {slot: remembered_value(slot, recalled), "answer_unparsed": None,
                "prefill_offer": None}
    declined = list(slots.get("prefill_declined") or [])
    if answer == "no":
        return {slot: None, "answer_unparsed": None, "prefill_offer": None,
                "prefill_declined": [*declined, slot]}
    return {**parsed, "prefill_offer": None, "prefill_declined": [*declined, slot]}


def compare_with_last(previous: Mapping[str, Any] | None, slots: Mapping[str, Any]) -> str:
    """A sentence comparing today's answers with the last assessment ('' if nothing)."""
    if not previous:
        return ""
    before = previous.get("answers") or {}
    notes: List[str] = []
    weekly_then = _number(before.get("weekly_distance_km"))
    weekly_now = _number(slots.get("weekly_distance_km"))
    if weekly_then and weekly_now and abs(weekly_now - weekly_then) >= 0.1 * weekly_then:
        direction = "went up" if weekly_now > weekly_then else "came down"
        rising = weekly_now > weekly_then and (
            _number(before.get("distance_increase_pct")) or 0) > 0
        notes.append(f"your weekly distance {direction}{' again' if rising else ''} "
                     f"({_short(weekly_then)} to {_short(weekly_now)} km)")
    sleep_then = _number(before.get("sleep_hours"))
    sleep_now = _number(slots.get("sleep_hours"))
    if sleep_then and sleep_now and abs(sleep_now - sleep_then) >= 0.5:
        better = "got better" if sleep_now > sleep_then else "got worse"
        notes.append(f"your sleep {better} ({_short(sleep_then)} to {_short(sleep_now)} hours)")
    shoes_then = _number(before.get("shoe_distance_km"))
    shoes_now = _number(slots.get("shoe_distance_km"))
    if shoes_then is not None and shoes_now is not None and shoes_now < shoes_then:
        notes.append("you have newer shoes")
    days = previous.get("created_at")
    when = ""
    if isinstance(days, datetime):
        when = f" ({_ago(max(0, (datetime.utcnow() - days).days))})"
    if not notes:
        return f"Compared with last time{when}, your figures are much the same."
    return f"Compared with last time{when}: " + "; ".join(notes) + "."


def _join(values: Iterable[str]) -> str:
    values = [v.replace("_", " ") for v in values if v]
    return ", ".join(values) if values else "not given"


def summary_text(assessment: Mapping[str, Any]) -> str:
    """A short summary a runner can share with a physio or doctor."""
    answers = assessment.get("answers") or {}
    titles = cause_titles()
    created = assessment.get("created_at")
    date = created.date().isoformat() if isinstance(created, datetime) else str(created or "")
    lines = [f"Summary of the heavy-legs assessment of {date}"]
    symptoms = _join(answers.get("symptoms") or [])
    timing = answers.get("symptom_timing")
    lines.append(f"- Symptoms: {symptoms}" + (f" ({timing} runs)" if timing else ""))
    figures = []
    if answers.get("weekly_distance_km") is not None:
        figures.append(f"{_short(float(answers['weekly_distance_km']))} km a week")
    if answers.get("distance_increase_pct") is not None:
        pct = float(answers["distance_increase_pct"])
        figures.append("steady distance" if abs(pct) < 0.5 else f"distance change {pct:+.0f}%")
    if answers.get("sleep_hours") is not None:
        figures.append(f"sleep {_short(float(answers['sleep_hours']))} h a night")
    if answers.get("diet_factors"):
        figures.append("diet: " + _join(answers["diet_factors"]))
    if answers.get("shoe_distance_km") is not None:
        figures.append(f"shoes {_short(float(answers['shoe_distance_km']))} km")
    lines.append("- Answers: " + ("; ".join(figures) if figures else "none given"))
    causes = [titles.get(c, c) for c in assessment.get("likely_causes") or []]
    lines.append("- Likely causes: " + (", ".join(causes) if causes else "none identified"))
    signs = assessment.get("red_flags") or []
    level = assessment.get("escalation_level") or "none"
    lines.append("- Warning signs: " + (_join(signs) if signs else "none reported"))
    if level in LEVEL_ADVICE:
        lines.append("- " + LEVEL_ADVICE[level])
    lines.append("General information from a chatbot, not a diagnosis.")
    return "\n".join(lines)

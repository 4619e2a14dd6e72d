"""Changing an answer and taking one back, without rasa_sdk.

Three ways a runner corrects the record, on every channel:

* **In their own words**, at any point: "wait, I got that wrong, I only sleep 5 hours"
  (at the diet question) or "actually I sleep 5 hours" (after the explanation). The
  figure is read as always (Rasa's slot mappings); :func:`changed_this_turn` sees that
  an answer given earlier changed, and :func:`acknowledgement` says so in one line. The
  question that was open is asked again instead of being noted as unread.
* **"change my sleep"** (bot/knowledge/commands.yml, ``change_answer`` with the slot
  named): :func:`change_updates` clears that answer and the form asks it again; with
  no answer named ("change my answer") the runner is offered one button per answer.
* **"undo" / "go back"** (Rasa's ``back`` intent): the last answer is taken back and its
  question asked again (actions/corrections.py); a turn that raised a warning sign is
  never taken back.

Names and the words for each answer are data: bot/knowledge/answers.yml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Tuple

from bot.dialogue.undo import value_before
from bot.strict_yaml import load as load_yaml
from bot.triage.units import in_runner_units

ANSWERS_FILE = Path(__file__).resolve().parents[1] / "knowledge" / "answers.yml"


@dataclass(frozen=True)
class Answer:
    slot: str
    label: str
    value: str
    clears: Tuple[str, ...]


@lru_cache(maxsize=1)
def load_answers(path: Path = ANSWERS_FILE) -> Dict[str, Answer]:
    data = load_yaml(path.read_text(encoding="utf-8"))["answers"]
    answers = {}
    for slot, spec in data.items():
        unknown = set(spec) - {"label", "value", "words", "clears"}
        if unknown:
            raise ValueError(f"{path}: {slot}: unknown key(s) {sorted(unknown)}")
        if spec["value"] and "{value}" not in spec["value"]:
            raise ValueError(f"{path}: {slot}: value has no {{value}}")
        answers[slot] = Answer(slot, str(spec["label"]), str(spec["value"] or ""),
                               tuple(spec.get("clears") or ()))
    return answers


@lru_cache(maxsize=1)
def _cues(path: Path = ANSWERS_FILE) -> re.Pattern:
    cues = load_yaml(path.read_text(encoding="utf-8"))["correction_cues"]
    words = sorted((re.escape(str(c).lower()).replace(r"\ ", r"\s+") for c in cues),
                   key=len, reverse=True)
    return re.compile(r"(?<![\w'])(?:" + "|".join(words) + r")(?![\w'])", re.IGNORECASE)


def says_it_corrects(text: str) -> bool:
    """The message says it corrects something ("actually", "I got that wrong")."""
    return _cues().search((text or "").replace("\u2019", "'")) is not None


def changed_this_turn(events: Iterable[Mapping[str, Any]], slots: Mapping[str, Any],
                      skip: str | None = None) -> Dict[str, Tuple[Any, Any]]:
    """Answers (slots of bot/knowledge/answers.yml, except ``skip``: the question being
    answered) that had a value before the latest user message and a different one now:
    ``{slot: (before, now)}``."""
    events = list(events)
    answers = load_answers()
    asked_before = set(slots.get("questions_shown") or []) | set(
        slots.get("skipped_questions") or [])
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=None)
    if last_user is None:
        return {}
    changed: Dict[str, Tuple[Any, Any]] = {}
    for event in events[last_user:]:
        name = event.get("name")
        if event.get("event") != "slot" or name not in answers or name == skip:
            continue
        before = value_before(events, last_user, name)
        now = slots.get(name)
        if now is None or before == now:
            continue
        if before is not None or name in asked_before:
            changed[name] = (before, now)  # given before (or asked and left out)
    return changed


def _figure(value: Any) -> str:
    if isinstance(value, (int, float)):
        number = float(value)
        return f"{number:.0f}" if number >= 10 or number == int(number) else f"{number:.1f}"
    return str(value)


def acknowledgement(changes: Mapping[str, Tuple[Any, Any]], unit: str | None = None) -> str:
    """One line: "Got it: I've changed your sleep to 5 hours a night." ('' if none;
    "updated" when an answer had none before or has no figure)."""
    answers = load_answers()
    parts = []
    for slot, (_, now) in changes.items():
        answer = answers[slot]
        if answer.value and isinstance(now, (int, float)):
            said = in_runner_units(answer.value.replace("{value}", _figure(now)), unit)
            parts.append(f"{answer.label} to {said}")
        else:
            parts.append(answer.label)
    if not parts:
        return ""
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    verb = "changed" if all(" to " in p for p in parts) and all(
        before is not None for before, _ in changes.values()) else "updated"
    return f"Got it: I've {verb} {listed}."


def change_updates(slot: str, slots: Mapping[str, Any]) -> Dict[str, Any]:
    """Slot updates that clear ``slot`` (and what goes with it) so the form asks it
    again: taken out of the skipped questions, no pending unread note or offer."""
    answer = load_answers()[slot]
    updates: Dict[str, Any] = {slot: None, "answer_unparsed": None, "prefill_offer": None}
    for other in answer.clears:
        updates[other] = None
    skipped = [s for s in slots.get("skipped_questions") or [] if s != slot]
    updates["skipped_questions"] = skipped
    declined = list(slots.get("prefill_declined") or [])
    if slot not in declined:
        updates["prefill_declined"] = [*declined, slot]  # ask afresh, not "same as last time?"
    return updates


def was_given(slot: str, slots: Mapping[str, Any]) -> bool:
    """The answer is there, or its question was asked or skipped: it can be changed."""
    return (slots.get(slot) is not None or slot in (slots.get("skipped_questions") or [])
            or slot in (slots.get("questions_shown") or []))


def answer_choices(slots: Mapping[str, Any]) -> List[Dict[str, str]]:
    """Buttons for "change my answer": one per answer given or skipped so far."""
    return [{"title": f"Change {a.label}", "payload": f"change my {_first_word(a.slot)}"}
            for a in load_answers().values() if was_given(a.slot, slots)]


@cache
def _first_word(slot: str) -> str:
    data = load_yaml(ANSWERS_FILE.read_text(encoding="utf-8"))["answers"]
    return str(data[slot]["words"][0])

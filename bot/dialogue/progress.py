"""Where the runner is in the questions: "question 3 of 6".

The number of questions is not fixed: questions answered in the runner's own words
(or skipped) are not asked, and the follow-up questions are asked only while they can
change the ranking (bot/triage/followups.py). So the total is the questions asked so
far plus those still to come as things stand now: every core question still open,
and the follow-ups the story calls for if nothing new is learnt. It can move as
answers come in; it is honest at each step.

The ask actions record each question shown in the slot ``questions_shown``.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Sequence

from bot.triage.answers import RunnerAnswers
from bot.triage.followups import next_question

SHOWN = "questions_shown"
FOLLOWUP = "followup_answer"
MAX_ESTIMATED_FOLLOWUPS = 10


def _followups_to_come(slots: Mapping[str, Any]) -> int:
    answers = RunnerAnswers.from_slots(slots)
    asked = [str(q) for q in slots.get("asked_questions") or []]
    count = 0
    while count < MAX_ESTIMATED_FOLLOWUPS:
        question = next_question(answers, asked)
        if question is None:
            break
        asked.append(question.id)
        count += 1
    return count


def question_progress(slots: Mapping[str, Any], core: Sequence[str], asking: str
                      ) -> Dict[str, int]:
    """``{"step": n, "of": m}`` for the question about to be asked (``asking``: a core
    slot name or a follow-up question id)."""
    shown: List[str] = [str(s) for s in slots.get(SHOWN) or []]
    # a question asked again (its answer changed) keeps its place
    step = shown.index(asking) + 1 if asking in shown else len(shown) + 1
    skipped = set(slots.get("skipped_questions") or [])
    open_core = [s for s in core if s != FOLLOWUP and s not in skipped
                 and slots.get(s) is None and s != asking and s not in shown]
    later = _followups_to_come(slots)
    if asking not in core and asking not in (slots.get("asked_questions") or []):
        later = max(later - 1, 0)  # the follow-up being asked is one of them
    total = max(len(shown) + (0 if asking in shown else 1), step) + len(open_core) + later
    return {"step": step, "of": total}


def shown_now(slots: Mapping[str, Any], asking: str) -> List[str]:
    """``questions_shown`` with ``asking`` added (once)."""
    shown = [str(s) for s in slots.get(SHOWN) or []]
    return shown if asking in shown else [*shown, asking]

"""Explaining the likely causes, and general advice, from the cause engine."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.storage import DEFAULT_CHANNEL, channel_of, safely
from bot.dialogue.corrections import acknowledgement, changed_this_turn
from bot.dialogue.next_steps import next_step_buttons
from bot.dialogue.runner_words import runner_words
from bot.storage import repository
from bot.storage.recall import compare_with_last
from bot.triage.engine import (
    RunnerAnswers,
    explanation_parts,
    general_advice,
    rank_causes,
    render_explanation,
    render_plan,
)


class ActionExplainCauses(Action):
    """Rank the causes from the answers, say them in the runner's figures, compare
    with the runner's last assessment, and store this one (bot/storage)."""

    def name(self) -> str:
        return "action_explain_causes"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        answers = RunnerAnswers.from_slots(tracker.slots).with_words(
            runner_words(tracker.events))
        ranked = rank_causes(answers)
        causes = [cause.id for cause in ranked]
        unit = tracker.get_slot("distance_unit")
        text = render_explanation(answers, ranked, unit)
        if tracker.get_slot("likely_causes"):
            # explained before: an answer changed since ("actually I sleep 5 hours")
            changed = acknowledgement(changed_this_turn(tracker.events, tracker.slots), unit)
            if changed:
                dispatcher.utter_message(response="utter_answers_updated", changed=changed)
        parts = explanation_parts(answers, ranked, unit)
        channel = channel_of(tracker) or DEFAULT_CHANNEL
        _, previous = safely(
            "read the last assessment",
            lambda: repository.find_runner(channel, tracker.sender_id), default=(None, None))
        comparison = compare_with_last(previous, tracker.slots)
        if comparison:
            text += "\n\n" + comparison
            parts["comparison"] = comparison
        # the chat page draws each cause as a card from the parts; other channels show
        # the text. The buttons offer the next steps: a plan, and the summary to keep.
        dispatcher.utter_message(text=text, buttons=next_step_buttons(),
                                 metadata={"explanation": parts})
        safely("save the assessment", lambda: repository.save_assessment(
            channel, tracker.sender_id, dict(tracker.slots), causes,
            escalation_level=tracker.get_slot("escalation_level") or "none",
            red_flags=tracker.get_slot("red_flags") or []))
        return [SlotSet("likely_causes", causes)]


class ActionGiveAdvice(Action):
    """"What should I do first?": a short plan in order from the ranked causes, in the
    runner's figures; before any answers, the advice that helps most runners."""

    def name(self) -> str:
        return "action_give_advice"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        if not tracker.get_slot("likely_causes"):
            dispatcher.utter_message(text=general_advice())
            return []
        answers = RunnerAnswers.from_slots(tracker.slots).with_words(
            runner_words(tracker.events))
        ranked = rank_causes(answers)
        dispatcher.utter_message(
            text=render_plan(answers, ranked, tracker.get_slot("distance_unit")))
        return [SlotSet("likely_causes", [cause.id for cause in ranked])]

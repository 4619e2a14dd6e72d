"""Changing an answer ("change my sleep") and taking one back ("undo").

Thin: what an answer is called, what goes with it and what changed are in
:mod:`bot.dialogue.corrections` and bot/knowledge/answers.yml. ``action_back``
replaces Rasa's built-in action of that name (the ``back`` intent; bot/knowledge/
commands.yml): Rasa's rewinds the last two user turns silently (and, in a form, much
more: bot/dialogue/undo.py); this one sets the answers of the last turn back, says
what was taken back, asks that question again, and never takes back a turn that
raised a warning sign.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.dialogue.corrections import answer_choices, change_updates, load_answers, was_given
from bot.dialogue.undo import last_answer_turn
from bot.nlu.commands import ANSWER_ENTITY

FORM = "assessment_form"


class ActionChangeAnswer(Action):
    def name(self) -> str:
        return "action_change_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        slot = next(tracker.get_latest_entity_values(ANSWER_ENTITY), None)
        answers = load_answers()
        if slot not in answers:
            choices = answer_choices(tracker.slots)
            if not choices:
                dispatcher.utter_message(response="utter_change_nothing_yet")
                return []
            dispatcher.utter_message(response="utter_change_which", buttons=choices)
            # wait for the choice (the open question, if any, is asked after it)
            return [FollowupAction("action_listen")]
        if not was_given(slot, tracker.slots):
            if tracker.active_loop.get("name") == FORM:
                dispatcher.utter_message(response="utter_change_not_yet",
                                         label=answers[slot].label)
            else:
                dispatcher.utter_message(response="utter_change_nothing_yet")
            return []
        dispatcher.utter_message(response="utter_change_answer", label=answers[slot].label)
        updates = change_updates(slot, tracker.slots)
        events: List[Dict[str, Any]] = [SlotSet(name, value) for name, value in updates.items()]
        if tracker.active_loop.get("name") != FORM:
            events.append(FollowupAction(FORM))  # the questions reopen for this answer
        return events


class ActionBack(Action):
    def name(self) -> str:
        return "action_back"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        turn = last_answer_turn(tracker.events)
        if turn is None:
            dispatcher.utter_message(response="utter_undo_nothing")
            return []
        if turn.raised_a_sign:
            dispatcher.utter_message(response="utter_undo_kept_sign")
            return []
        dispatcher.utter_message(response="utter_undone", said=turn.quoted)
        if turn.question is not None:
            dispatcher.utter_message(**turn.question)
        events: List[Dict[str, Any]] = [SlotSet(name, value)
                                        for name, value in turn.slots.items()]
        loop_changed, loop_before = turn.loop
        if loop_changed:
            events.append(ActiveLoop(loop_before))
        # the question has been asked again: the bot waits for the answer
        return events + [FollowupAction("action_listen")]

"""bot.web.channel: the response's metadata reaches the page in ``bot_uttered``."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Tuple

from rasa.core.channels.socketio import SocketIOOutput as RasaSocketIOOutput

from bot.web.channel import SocketIOInput, SocketIOOutput


class FakeSio:
    def __init__(self) -> None:
        self.sent: List[Tuple[str, Dict[str, Any], str]] = []

    async def emit(self, event: str, data: Dict[str, Any], room: str) -> None:
        self.sent.append((event, data, room))


def sent_by(output_class, message: Dict[str, Any]) -> List[Dict[str, Any]]:
    sio = FakeSio()
    asyncio.run(output_class(sio, "bot_uttered").send_response("s1", dict(message)))
    assert {event for event, _, _ in sio.sent} == {"bot_uttered"}
    assert {room for _, _, room in sio.sent} == {"s1"}
    return [data for _, data, _ in sio.sent]


# What Rasa hands the output channel for a domain response with metadata
# (BotUttered.message(): data, text, and the response's other keys).
EMERGENCY = {
    "text": "Please call your local emergency number now.",
    "metadata": {"escalation": "emergency"},
    "utter_action": "utter_escalate_emergency",
}


def test_rasas_own_output_drops_the_metadata() -> None:
    assert sent_by(RasaSocketIOOutput, EMERGENCY) == [{"text": EMERGENCY["text"]}]


def test_text_carries_the_metadata_and_nothing_more() -> None:
    assert sent_by(SocketIOOutput, EMERGENCY) == [
        {"text": EMERGENCY["text"], "metadata": {"escalation": "emergency"}}
    ]


def test_buttons_and_split_text_keep_rasas_shape() -> None:
    message = {
        "text": "First part.\n\nHow far do you run?",
        "buttons": [{"title": "Don't know", "payload": "don't know"}],
        "utter_action": "utter_ask_weekly_distance_km",
    }
    sent = sent_by(SocketIOOutput, message)
    # Rasa's shape, plus the question token on the message with the buttons (a click
    # sends it back: bot/dialogue/button_answers.py).
    question = sent[-1].pop("question")
    assert isinstance(question, str) and 0 < len(question) <= 32
    assert sent == sent_by(RasaSocketIOOutput, message)
    assert sent[-1]["quick_replies"] == [
        {"content_type": "text", "title": "Don't know", "payload": "don't know"}
    ]


def test_buttons_with_metadata() -> None:
    message = {
        "text": "Is that something you're noticing?",
        "buttons": [{"title": "Yes", "payload": "yes"}],
        "metadata": {"escalation": "urgent"},
    }
    (sent,) = sent_by(SocketIOOutput, message)
    assert sent["metadata"] == {"escalation": "urgent"}
    assert sent["quick_replies"][0]["title"] == "Yes"


def test_input_channel_reads_rasas_options_and_answers_with_metadata() -> None:
    channel = SocketIOInput.from_credentials(
        {"user_message_evt": "user_uttered", "bot_message_evt": "bot_uttered",
         "session_persistence": True}
    )
    assert channel.name() == "socketio" and channel.session_persistence
    channel.blueprint(lambda message: asyncio.sleep(0))
    assert isinstance(channel.get_output_channel(), SocketIOOutput)

"""Rasa's socket.io channel, passing each response's ``metadata`` on to the page.

Rasa 3.6's ``SocketIOOutput`` sends only ``{"text": ...}`` (plus ``quick_replies``
for buttons) in ``bot_uttered``: the ``metadata`` of a domain response reaches the
output channel as a keyword argument and is dropped there. The page needs it to
know, without matching texts, that a message is an escalation
(``metadata: {escalation: emergency | urgent | see_professional}``) or the
not-a-diagnosis notice (``metadata: {notice: disclaimer}``).

Use it in credentials.yml instead of ``socketio:``, with the same options::

    bot.web.channel.SocketIOInput:
      user_message_evt: user_uttered
      bot_message_evt: bot_uttered
      session_persistence: true

Everything else (the ``/socket.io`` path, ``session_request`` and
``session_confirm``, session persistence, the channel name ``socketio``) is
Rasa's own code, unchanged.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, List

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput
from rasa.core.channels.socketio import SocketIOOutput as RasaSocketIOOutput
from sanic import Blueprint


def _metadata(kwargs: Dict[str, Any]) -> Dict[str, Any]:
    """The response's ``metadata`` (from the domain) as extra message keys, if any."""
    metadata = kwargs.get("metadata")
    return {"metadata": metadata} if isinstance(metadata, dict) and metadata else {}


class SocketIOOutput(RasaSocketIOOutput):
    """Sends what Rasa's output sends, plus the response's ``metadata``."""

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        extra = _metadata(kwargs)
        for message_part in text.strip().split("\n\n"):
            await self._send_message(recipient_id, {"text": message_part, **extra})

    async def send_text_with_buttons(
        self,
        recipient_id: str,
        text: str,
        buttons: List[Dict[str, Any]],
        **kwargs: Any,
    ) -> None:
        extra = _metadata(kwargs)
        parts = text.strip().split("\n\n") or [text]
        messages: List[Dict[str, Any]] = [
            {"text": part, "quick_replies": [], **extra} for part in parts
        ]
        messages[-1]["quick_replies"] = [
            {"content_type": "text", "title": button["title"], "payload": button["payload"]}
            for button in buttons
        ]
        for message in messages:
            await self._send_message(recipient_id, message)


class SocketIOInput(RasaSocketIOInput):
    """Rasa's socket.io input channel, answering through :class:`SocketIOOutput`."""

    def get_output_channel(self) -> RasaSocketIOOutput | None:
        if self.sio is None:
            return super().get_output_channel()
        return SocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def answer_with_metadata(message: UserMessage) -> None:
            # Rasa's handler builds a plain SocketIOOutput for every message; swap it.
            message.output_channel = SocketIOOutput(self.sio, self.bot_message_evt)
            await on_new_message(message)

        return super().blueprint(answer_with_metadata)

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

The conversation id is no longer the credential (``bot.security.session_ids``,
docs/security.md): on ``session_request`` the server issues the id and a token
(HMAC-SHA256 of the id and an expiry, with ``BOT_SESSION_SECRET``) and answers
``session_confirm`` with ``{"session_id": ..., "session_token": ...}``; the page
keeps both and sends both with every message. A ``session_request`` whose id has
no valid token (missing, wrong, expired, or an id of the old unsigned format) is
answered with a fresh id and token, so the page starts a new conversation and
the socket never joins the room of the id it asked for (before, any id joined
that conversation's room and heard its replies live). A ``user_uttered`` without
a valid token for its ``session_id`` is refused with a bot message to that socket
only. A valid ``session_request`` renews the token (the lifetime counts from the
last connection). The token is neither stored nor logged.

It also checks what the page (or any socket.io client) sends, like every other
channel (``bot.security.input``, docs/security.md):

* ``user_uttered``: data that is not an object, a missing or non-string
  ``message``, or a ``session_id`` that is not a usable conversation id (missing,
  not a string, over 128 characters, control characters, a lone surrogate, which
  stopped the whole Rasa server through REST) are refused with a bot message to
  that socket only, and never reach Rasa; the text is cleaned and cut to
  ``MAX_MESSAGE_CHARS`` (with a note); an empty, emoji-only or non-Latin message
  gets a direct answer without touching the conversation; the turn runs through
  ``bot.channels.turn_guard`` (a failed custom action or a broken turn ends with
  a note);
* ``session_request`` with an unusable or unproven ``session_id`` is confirmed
  with a fresh id (as Rasa does for none), so the page starts a new conversation;
* after each message the socket sent has been answered (or refused), the channel
  emits ``bot_turn_done`` to that socket, so the page knows the turn is over and
  hides its typing indicator with the last reply;
* messages over the conversation's rate limit (``bot.security.rate_limit``) are
  not run; each gets "You're sending messages faster than I can read them …";
* a frame that is not a socket.io packet (broken JSON, junk) closes that one
  connection instead of logging a traceback and leaving it open;
* a browser page whose origin is not on the allow-list (``bot.web.origins``:
  ``WEB_ORIGIN`` and ``ALLOWED_ORIGINS``) is refused with 403 before engine.io reads
  the request, on the polling and on the websocket transport alike. (Rasa builds its
  engine.io server with ``cors_allowed_origins=[]``, which turns engine.io's own
  origin check off; Rasa's ``--cors`` covers only what a browser enforces, and
  browsers do not enforce CORS on websockets.)

Everything else (the ``/socket.io`` path, session persistence through the
conversation's room, the channel name ``socketio``) is Rasa's own code, unchanged.
"""

from __future__ import annotations

import functools
import json
import logging
from typing import Any, Awaitable, Callable, Dict, List

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput
from rasa.core.channels.socketio import SocketIOOutput as RasaSocketIOOutput
from sanic import Blueprint
from sanic import response as sanic_response

from bot.channels.turn_guard import guarded_turn, install_watcher
from bot.dialogue.button_answers import ANSWER_TO, question_token
from bot.security.input import (
    BAD_SESSION_REPLY,
    SESSION_NOT_PROVEN_REPLY,
    UNREADABLE_REPLY,
    BadRequest,
    check_sender,
    read_text,
)
from bot.security.session_ids import signer_from_env
from bot.web.origins import allowed_origins, is_allowed

logger = logging.getLogger(__name__)

# Sent to the socket after each of its messages has been answered (or refused).
TURN_DONE_EVENT = "bot_turn_done"


def _metadata(kwargs: Dict[str, Any]) -> Dict[str, Any]:
    """The response's ``metadata`` (from the domain) as extra message keys, if any."""
    metadata = kwargs.get("metadata")
    return {"metadata": metadata} if isinstance(metadata, dict) and metadata else {}


# messages the page draws as one whole (cards, a summary to print): never cut into
# paragraphs, as Rasa's socket.io output cuts every other text
WHOLE = ("explanation", "summary")


def _parts(text: str, extra: Dict[str, Any]) -> List[str]:
    if any(key in extra.get("metadata", {}) for key in WHOLE):
        return [text.strip()]
    return text.strip().split("\n\n") or [text]


class SocketIOOutput(RasaSocketIOOutput):
    """Sends what Rasa's output sends, plus the response's ``metadata``."""

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        extra = _metadata(kwargs)
        for message_part in _parts(text, extra):
            await self._send_message(recipient_id, {"text": message_part, **extra})

    async def send_text_with_buttons(
        self,
        recipient_id: str,
        text: str,
        buttons: List[Dict[str, Any]],
        **kwargs: Any,
    ) -> None:
        extra = _metadata(kwargs)
        parts = _parts(text, extra)
        messages: List[Dict[str, Any]] = [
            {"text": part, "quick_replies": [], **extra} for part in parts
        ]
        messages[-1]["quick_replies"] = [
            {"content_type": "text", "title": button["title"], "payload": button["payload"]}
            for button in buttons
        ]
        # The page sends it back with a click (metadata answer_to), so a click can
        # only answer the question it was shown with (bot.dialogue.button_answers).
        messages[-1]["question"] = question_token(text, kwargs.get("timestamp"))
        for message in messages:
            await self._send_message(recipient_id, message)


class SocketIOInput(RasaSocketIOInput):
    """Rasa's socket.io input channel, answering through :class:`SocketIOOutput`."""

    def get_output_channel(self) -> RasaSocketIOOutput | None:
        if self.sio is None:
            return super().get_output_channel()
        return SocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        install_watcher()
        signer = signer_from_env()  # a bad BOT_SESSION_SECRET stops the server at start
        blueprint = super().blueprint(on_new_message)
        sio = self.sio
        assert sio is not None  # set by Rasa's blueprint()
        _refuse_other_origins(sio)

        # python-socketio 5.9 decodes each frame in its engine.io "message"
        # handler; a frame that is not a socket.io packet (broken JSON, "42null",
        # junk) raised there and was logged with a traceback while the socket
        # stayed open. Refuse it cleanly instead: close that one connection.
        read_packet = sio._handle_eio_message

        async def read_packet_or_close(eio_sid: str, data: Any) -> Any:
            try:
                return await read_packet(eio_sid, data)
            except Exception as error:  # noqa: BLE001 - any unreadable frame
                logger.warning("socket.io: unreadable packet (%s); closing that connection",
                               type(error).__name__)
                await sio.eio.disconnect(eio_sid)
                return None

        sio.eio.on("message", read_packet_or_close)

        async def refuse(sid: str, text: str) -> None:
            """A bot message to this socket only (not the conversation's room)."""
            await sio.emit(self.bot_message_evt, {"text": text}, room=sid,
                           namespace=self.namespace)

        # Registering an event again replaces Rasa's handler for it.
        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Any = None, *_: Any) -> None:
            fields = data if isinstance(data, dict) else {}
            session_id = fields.get("session_id")
            if session_id is not None:
                try:
                    check_sender(session_id, "session_id")
                except BadRequest as error:
                    logger.warning("socket.io session_request refused (%s); "
                                   "confirming a new session id", error)
                    session_id = None
            if session_id is not None and not signer.verify(session_id,
                                                            fields.get("session_token")):
                # Neither the id nor the token is logged.
                logger.warning("socket.io session_request for a conversation it could not "
                               "prove (token missing, wrong or expired); confirming a new one")
                session_id = None
            if session_id is None:
                # 128 random bits, "web-" + 32 hex digits, with its token.
                session_id, token = signer.issue()
            else:
                token = signer.token_for(session_id)  # renewed: the lifetime starts again
            if self.session_persistence:
                sio.enter_room(sid, session_id, namespace=self.namespace)
            await sio.emit("session_confirm", {"session_id": session_id, "session_token": token},
                           room=sid, namespace=self.namespace)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any = None, *_: Any) -> None:
            try:
                await answer(sid, data)
            finally:
                # The turn is over, answered or refused: the page hides its typing
                # indicator now, with the last reply (emitted after it, on the same socket).
                await sio.emit(TURN_DONE_EVENT, {}, room=sid, namespace=self.namespace)

        async def answer(sid: str, data: Any) -> None:
            if not isinstance(data, dict):
                await refuse(sid, UNREADABLE_REPLY)
                return
            sender = sid
            if self.session_persistence:
                try:
                    sender = check_sender(data.get("session_id"), "session_id")
                except BadRequest as error:
                    logger.warning("socket.io message refused: %s", error)
                    await refuse(sid, BAD_SESSION_REPLY)
                    return
                if not signer.verify(sender, data.get("session_token")):
                    logger.warning("socket.io message refused: no valid session token for "
                                   "its conversation")
                    await refuse(sid, SESSION_NOT_PROVEN_REPLY)
                    return
            try:
                checked = read_text(sender, data.get("message"))
            except BadRequest as error:
                logger.warning("socket.io message refused: %s", error)
                await refuse(sid, UNREADABLE_REPLY)
                return
            output = SocketIOOutput(sio, self.bot_message_evt)
            if checked.direct_reply is not None:
                await output.send_text_message(sender, checked.direct_reply)
                return
            message = UserMessage(checked.text, output, sender, input_channel=self.name(),
                                  metadata=_client_metadata(data.get(self.metadata_key)))
            await guarded_turn(on_new_message, message, clipped=checked.clipped,
                               notify_every_refusal=True)

        return blueprint


def _refuse_other_origins(sio: Any) -> None:
    """Check ``Origin`` on every engine.io request (both transports) against the list.

    The route is added when the blueprint is registered (``sio.attach``), from the
    instance attribute replaced here. A bad entry in the list stops the server at start.
    """
    allowed = allowed_origins()
    if not allowed:
        logger.warning("socket.io: neither WEB_ORIGIN nor ALLOWED_ORIGINS is set; every "
                       "browser page is refused (clients that send no Origin still work)")
    handle_request = sio.eio.handle_request

    @functools.wraps(handle_request)
    async def handle_allowed_request(request: Any, *args: Any, **kwargs: Any) -> Any:
        origin = request.headers.get("origin")
        if not is_allowed(origin, allowed):
            logger.warning("socket.io: refused a request from origin %r (not in WEB_ORIGIN or "
                           "ALLOWED_ORIGINS)", origin[:200])
            return sanic_response.text("This site is not allowed to use the assistant.",
                                       status=403)
        return await handle_request(request, *args, **kwargs)

    sio.eio.handle_request = handle_allowed_request


def _client_metadata(value: Any) -> Dict[str, Any] | None:
    """What the bot reads of a message's metadata: the question a click answers.

    The page sends ``{"answer_to": <question token>}`` with a click on a reply
    button (object or JSON text); anything else a client sends is dropped, so it
    is neither stored nor read.
    """
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    token = value.get(ANSWER_TO) if isinstance(value, dict) else None
    if isinstance(token, str) and 0 < len(token) <= 32:
        return {ANSWER_TO: token}
    return None

"""REST channel that checks its input: Rasa's ``RestInput`` with a guarded webhook.

Referenced from credentials.yml as ``bot.channels.rest.SafeRestInput``; its
``name()`` is ``rest``, so the URL stays ``/webhooks/rest/webhook``. Compared
with Rasa's own channel it (docs/security.md, tests/robustness/):

* answers 415 unless the request says ``Content-Type: application/json``: a page
  of another origin can then only post after a CORS preflight, which Rasa's
  ``--cors`` refuses (before, a plain HTML form or ``fetch`` with ``text/plain``
  could post without one);
* answers 400 with ``{"status": 400, "error": "..."}`` for a body that is empty,
  not UTF-8, not JSON, not a JSON object, without a string ``message`` or a
  usable ``sender`` (Rasa answered 500 for several, and a lone surrogate in the
  sender stopped the whole server), and 413 for a body over 256 KiB (bodies over
  Sanic's ``REQUEST_MAX_SIZE``, 1 MiB as the project starts Rasa, are refused by
  Sanic before they are read);
* answers 403 when the sender is a chat-page conversation id (``web-`` + 32 hex
  digits, ``bot.security.session_ids``) and the request does not carry that
  conversation's token in the ``X-Session-Token`` header: the id alone no
  longer lets anyone post into, or read the summary of, a chat-page conversation;
* answers 429 (``Retry-After``) when the conversation is over its rate limit
  (``bot.security.rate_limit``), without running the turn;
* cleans the text (lone surrogates, control characters) and cuts it to
  ``bot.text_limits.MAX_MESSAGE_CHARS`` before NLU, telling the runner so;
* answers an empty message, one without letters or digits (emoji only) and one
  mostly in a non-Latin script itself, without touching the conversation;
* ignores a client-supplied ``input_channel`` (always ``rest``), so a REST caller
  cannot pose as Telegram or Slack in the stored profile;
* when a custom action fails in the turn (action server down or refusing), adds a
  note that the step could not be completed and what to do if symptoms worsen
  (``bot.channels.turn_guard``, shared with the other channels);
* never answers 500 and never logs the message text.
"""

from __future__ import annotations

import logging
import math
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.turn_guard import guarded_turn, install_watcher
from bot.security.input import RATE_LIMITED_REPLY, BadRequest, read_message, too_large
from bot.security.session_ids import TOKEN_HEADER, is_web_id, signer_from_env

logger = logging.getLogger(__name__)


JSON_CONTENT_TYPE = "application/json"
NOT_JSON_CONTENT_TYPE = (
    "send the body as JSON, with the header Content-Type: application/json"
)
WEB_ID_WITHOUT_TOKEN = (
    "this conversation id belongs to the chat page: send its session token in the "
    f"{TOKEN_HEADER} header"
)


def _error(status: int, message: str, headers: dict | None = None) -> HTTPResponse:
    return response.json({"status": status, "error": message}, status=status,
                         headers=headers)


def is_json_request(request: Request) -> bool:
    """True when the Content-Type is ``application/json`` (parameters such as charset allowed)."""
    media_type = (request.headers.get("content-type") or "").split(";", 1)[0]
    return media_type.strip().lower() == JSON_CONTENT_TYPE


class SafeRestInput(RestInput):
    """Rasa's REST channel with checked, cleaned and bounded input."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        install_watcher()
        signer = signer_from_env()  # a bad BOT_SESSION_SECRET stops the server at start
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not is_json_request(request):
                return _error(415, NOT_JSON_CONTENT_TYPE)
            try:
                payload, incoming = read_message(request.body or b"")
            except BadRequest as error:
                return _error(413 if too_large(error) else 400, str(error))
            if is_web_id(incoming.sender) and not signer.verify(
                    incoming.sender, request.headers.get(TOKEN_HEADER)):
                return _error(403, WEB_ID_WITHOUT_TOKEN)
            if incoming.direct_reply is not None:
                return response.json(
                    [{"recipient_id": incoming.sender, "text": incoming.direct_reply}]
                )
            metadata = payload.get("metadata")
            collector = CollectingOutputChannel()
            # The collector is the output: the turn's notes (step failed, text
            # cut, apology) end up in the same JSON answer.
            outcome = await guarded_turn(on_new_message, UserMessage(
                incoming.text, collector, incoming.sender, input_channel=self.name(),
                metadata=metadata if isinstance(metadata, dict) else None,
            ), clipped=incoming.clipped)
            if outcome.rate_limited:
                return _error(429, RATE_LIMITED_REPLY,
                              {"Retry-After": str(max(1, math.ceil(outcome.retry_after)))})
            return response.json(collector.messages)

        return webhook

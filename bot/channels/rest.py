"""REST channel that checks its input: Rasa's ``RestInput`` with a guarded webhook.

Referenced from credentials.yml as ``bot.channels.rest.SafeRestInput``; its
``name()`` is ``rest``, so the URL stays ``/webhooks/rest/webhook``. Compared
with Rasa's own channel it (docs/security.md, tests/robustness/):

* answers 400 with ``{"status": 400, "error": "..."}`` for a body that is empty,
  not UTF-8, not JSON, not a JSON object, without a string ``message`` or a
  usable ``sender`` (Rasa answered 500 for several, and a lone surrogate in the
  sender stopped the whole server), and 413 for a body over 256 KiB;
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
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.turn_guard import guarded_turn, install_watcher
from bot.security.input import BadRequest, read_message, too_large

logger = logging.getLogger(__name__)


def _error(status: int, message: str) -> HTTPResponse:
    return response.json({"status": status, "error": message}, status=status)


class SafeRestInput(RestInput):
    """Rasa's REST channel with checked, cleaned and bounded input."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        install_watcher()
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                payload, incoming = read_message(request.body or b"")
            except BadRequest as error:
                return _error(413 if too_large(error) else 400, str(error))
            if incoming.direct_reply is not None:
                return response.json(
                    [{"recipient_id": incoming.sender, "text": incoming.direct_reply}]
                )
            metadata = payload.get("metadata")
            collector = CollectingOutputChannel()
            # The collector is the output: the turn's notes (step failed, text
            # cut, apology) end up in the same JSON answer.
            await guarded_turn(on_new_message, UserMessage(
                incoming.text, collector, incoming.sender, input_channel=self.name(),
                metadata=metadata if isinstance(metadata, dict) else None,
            ), clipped=incoming.clipped)
            return response.json(collector.messages)

        return webhook

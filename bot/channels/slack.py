"""Slack channel: Rasa's SlackInput with strict request checks and a configurable API.

Referenced from a credentials file as ``bot.channels.slack.SlackChannel`` (see
``channels/slack.yml`` and docs/channels.md). Compared with Rasa's own connector it

* refuses (401) requests with a missing or wrong ``X-Slack-Signature`` or a
  timestamp more than five minutes away, before reading the body;
* reads JSON and form bodies whatever the Content-Type's parameters
  (``application/json; charset=utf-8`` is not silently dropped);
* answers each event once: redeliveries (``X-Slack-Retry-Num``) and the
  same message delivered twice are acknowledged without a second answer;
* ignores messages from bots, including its own (``bot_id``, ``subtype`` or
  its own user id from ``auth.test``/``authorizations``);
* turns buttons into Block Kit (a section and an ``actions`` block); a click
  (``block_actions``) replaces the buttons by the choice and sends the payload
  to Rasa;
* posts through the Web API at ``api_url`` (default https://slack.com/api/),
  without the legacy ``as_user`` argument, and logs failed posts instead of
  aborting the turn;
* checks bodies, ids and text like every channel (``bot.security.input``): a
  body over 256 KiB is refused (413), one that is not a JSON object, a user,
  channel or thread id that is not a usable conversation id, or a text that is
  not a string get 400; the text is cleaned and cut to ``MAX_MESSAGE_CHARS``
  (with a note); an empty, emoji-only or non-Latin message gets a direct answer
  without touching the conversation;
* runs each turn through ``bot.channels.turn_guard``, so a failed custom action
  or a broken turn ends with a note to the runner.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from http import HTTPStatus
from typing import Any, Awaitable, Callable, Dict, List, Set
from urllib.parse import parse_qs

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.slack import SlackBot, SlackInput
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    async_default_handlers,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.common import SeenKeys, is_http_url, with_progress
from bot.channels.turn_guard import guarded_turn, install_watcher
from bot.dialogue.button_answers import ANSWER_TO, question_token, split_token, with_token
from bot.security.input import (
    MAX_BODY_BYTES,
    BadRequest,
    check_sender,
    read_json_object,
    read_text,
    too_large,
)

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://slack.com/api/"
MAX_REQUEST_AGE_S = 5 * 60
MAX_BUTTONS = 25  # elements in one actions block
MAX_BUTTON_TITLE = 75
MAX_BUTTON_VALUE = 2000
MAX_SECTION_TEXT = 3000
REQUEST_TIMEOUT_S = 30
# Message subtypes written by people; every other subtype (bot_message,
# message_changed, message_deleted, channel_join, ...) is not for the bot.
USER_SUBTYPES = {None, "file_share", "thread_broadcast"}
# auth.test errors that mean the token itself is wrong (other errors are transient).
EXPIRED_BUTTON_REPLY = "This button has expired. Please type your answer instead."
TOKEN_ERRORS = {"not_authed", "invalid_auth", "account_inactive", "token_revoked",
                "token_expired", "not_allowed_token_type"}


def escape_mrkdwn(text: str) -> str:
    """Escape the three characters Slack reads as markup in message text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def signature_for(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's request signature (v0) for ``body`` sent at ``timestamp``."""
    base = b"v0:" + timestamp.encode("utf-8") + b":" + body
    return "v0=" + hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()


def media_type(request: Request) -> str:
    return (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()


class SlackChannelOutput(SlackBot):
    """Rasa's SlackBot on a Web API base URL of our choice, with Block Kit buttons."""

    def __init__(
        self,
        token: str,
        slack_channel: str | None = None,
        thread_id: str | None = None,
        proxy: str | None = None,
        api_url: str = DEFAULT_API_URL,
    ) -> None:
        super().__init__(token, slack_channel, thread_id, proxy)
        self.api_url = api_url
        # A 429 from Slack is waited out (Retry-After) and the post sent once more,
        # instead of losing the message; connection errors are retried as before.
        self.client = AsyncWebClient(
            token, base_url=api_url, proxy=proxy, timeout=REQUEST_TIMEOUT_S,
            retry_handlers=[*async_default_handlers(),
                            AsyncRateLimitErrorRetryHandler(max_retry_count=1)],
        )

    async def _post_message(self, channel: str, **kwargs: Any) -> None:
        # ``as_user`` is for classic apps only and ``type`` is not an argument
        # of chat.postMessage; Rasa's SlackBot passes both.
        kwargs.pop("as_user", None)
        kwargs.pop("type", None)
        if self.thread_id:
            kwargs["thread_ts"] = self.thread_id
        try:
            await self.client.chat_postMessage(channel=channel, **kwargs)
        except (SlackApiError, SlackClientError, asyncio.TimeoutError, OSError) as error:
            # Raising would abort Rasa's turn before the tracker is saved.
            logger.error("Slack chat.postMessage to %s failed: %s", channel, error)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        recipient = self.slack_channel or recipient_id
        for part in with_progress(text, kwargs).strip().split("\n\n"):
            if part.strip():
                await self._post_message(channel=recipient, text=escape_mrkdwn(part))

    async def send_text_with_buttons(
        self,
        recipient_id: str,
        text: str,
        buttons: List[Dict[str, Any]],
        **kwargs: Any,
    ) -> None:
        """Send ``text`` as a section block followed by an actions block of buttons."""
        recipient = self.slack_channel or recipient_id
        usable = [
            button for button in buttons
            if (button.get("title") or button.get("payload"))
            and len(str(button.get("payload") or button.get("title"))) <= MAX_BUTTON_VALUE
        ]
        # Each button's action_id says which question it answers (bot.dialogue.button_answers):
        # the token is of the whole message, as Rasa stored it.
        token = question_token(text, kwargs.get("timestamp"))
        if usable and len(usable) <= MAX_BUTTONS and len(text) > MAX_SECTION_TEXT:
            # a long message (an explanation): its paragraphs as text, the buttons under
            # the last one (a section block holds at most 3000 characters)
            *rest, last = text.strip().split("\n\n")
            if rest and len(last) <= MAX_SECTION_TEXT:
                await self.send_text_message(recipient, "\n\n".join(rest))
                text = last
        text = with_progress(text, kwargs)
        if not usable or len(usable) > MAX_BUTTONS or len(text) > MAX_SECTION_TEXT:
            listed = "\n".join(f"• {button.get('title')}" for button in buttons)
            return await self.send_text_message(recipient, f"{text}\n{listed}".strip())
        blocks = [
            {"type": "section", "text": {"type": "plain_text", "text": text or " "}},
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": with_token(token, f"rasa_button_{index}"),
                        "text": {
                            "type": "plain_text",
                            "text": str(button.get("title") or button["payload"])[
                                :MAX_BUTTON_TITLE
                            ],
                        },
                        "value": str(button.get("payload") or button["title"]),
                    }
                    for index, button in enumerate(usable)
                ],
            },
        ]
        await self._post_message(channel=recipient, text=escape_mrkdwn(text), blocks=blocks)

    async def show_choice(
        self, channel: str, message: Dict[str, Any], title: str
    ) -> None:
        """Replace a clicked message's buttons by the choice (so it cannot be clicked again)."""
        ts = message.get("ts")
        blocks = message.get("blocks")
        if not ts or not isinstance(blocks, list):
            return
        kept = [block for block in blocks
                if isinstance(block, dict) and block.get("type") != "actions"]
        kept.append({
            "type": "context",
            "elements": [{"type": "plain_text", "text": f"→ {title}"[:MAX_SECTION_TEXT]}],
        })
        try:
            await self.client.chat_update(
                channel=channel, ts=ts, blocks=kept, text=message.get("text") or title
            )
        except (SlackApiError, SlackClientError, asyncio.TimeoutError, OSError) as error:
            logger.warning("Slack chat.update of %s failed: %s", ts, error)


class SlackChannel(SlackInput):
    """Slack input channel with strict signature checks and a configurable Web API URL.

    Credentials: ``slack_token``, ``slack_signing_secret``, optionally ``api_url``
    and Rasa's other Slack options (``slack_channel``, ``use_threads``,
    ``conversation_granularity``, ``proxy``).
    """

    @classmethod
    def name(cls) -> str:
        return "slack"

    @classmethod
    def from_credentials(cls, credentials: Dict[str, Any] | None) -> InputChannel:
        if not credentials:
            cls.raise_missing_credentials_exception()
        return cls(
            slack_token=credentials.get("slack_token"),
            slack_channel=credentials.get("slack_channel") or None,
            proxy=credentials.get("proxy") or None,
            use_threads=bool(credentials.get("use_threads", False)),
            slack_signing_secret=credentials.get("slack_signing_secret") or "",
            conversation_granularity=credentials.get("conversation_granularity", "sender"),
            api_url=credentials.get("api_url") or DEFAULT_API_URL,
        )

    def __init__(
        self,
        slack_token: str,
        slack_channel: str | None = None,
        proxy: str | None = None,
        use_threads: bool = False,
        slack_signing_secret: str = "",
        conversation_granularity: str | None = "sender",
        api_url: str = DEFAULT_API_URL,
    ) -> None:
        problems = []
        if not isinstance(slack_token, str) or not slack_token.startswith(("xoxb-", "xoxp-")):
            problems.append("slack_token (SLACK_BOT_TOKEN) must be a bot token, xoxb-...")
        if not isinstance(slack_signing_secret, str) or not slack_signing_secret:
            problems.append("slack_signing_secret (SLACK_SIGNING_SECRET) is missing")
        if not is_http_url(api_url):
            problems.append("api_url (SLACK_API_URL) must be an http(s) URL")
        if problems:
            raise RasaException("Slack channel misconfigured: " + "; ".join(problems))
        super().__init__(
            slack_token,
            slack_channel=slack_channel,
            proxy=proxy,
            slack_retry_reason_header="x-slack-retry-reason",
            slack_retry_number_header="x-slack-retry-num",
            use_threads=use_threads,
            slack_signing_secret=slack_signing_secret,
            conversation_granularity=conversation_granularity,
        )
        self.api_url = api_url if api_url.endswith("/") else api_url + "/"
        self.own_user_ids: Set[str] = set()
        self.own_bot_ids: Set[str] = set()
        self._seen = SeenKeys()

    def get_output_channel(
        self, channel: str | None = None, thread_id: str | None = None
    ) -> SlackChannelOutput:
        return SlackChannelOutput(
            self.slack_token, channel or self.slack_channel, thread_id, self.proxy,
            api_url=self.api_url,
        )

    async def learn_identity(self) -> None:
        """Ask ``auth.test`` who the bot is, to ignore its own messages.

        A refused token stops the server (the configuration is wrong); an
        unreachable API is only logged (bot messages are still ignored by bot_id).
        """
        client = AsyncWebClient(self.slack_token, base_url=self.api_url, proxy=self.proxy,
                                timeout=REQUEST_TIMEOUT_S)
        try:
            identity = await client.auth_test()
        except SlackApiError as error:
            code = error.response.get("error")
            if code in TOKEN_ERRORS:
                raise RasaException(
                    f"Slack refused the bot token (SLACK_BOT_TOKEN): {code}"
                ) from error
            logger.error("Slack: auth.test failed: %s", code)
            return
        except (SlackClientError, asyncio.TimeoutError, OSError) as error:
            logger.error("Slack: could not reach %s for auth.test: %s", self.api_url, error)
            return
        if identity.get("user_id"):
            self.own_user_ids.add(identity["user_id"])
        if identity.get("bot_id"):
            self.own_bot_ids.add(identity["bot_id"])
        logger.info("Slack: answering as %s (%s) in %s", identity.get("user"),
                    identity.get("user_id"), identity.get("team"))

    def signature_problem(self, request: Request) -> str | None:
        """Why the request is not from Slack, or None when its signature holds."""
        signature = request.headers.get("X-Slack-Signature")
        timestamp = request.headers.get("X-Slack-Request-Timestamp")
        if not signature or not timestamp:
            return "missing X-Slack-Signature or X-Slack-Request-Timestamp"
        try:
            sent_at = int(timestamp)
        except ValueError:
            return "X-Slack-Request-Timestamp is not a number"
        if abs(time.time() - sent_at) > MAX_REQUEST_AGE_S:
            return "X-Slack-Request-Timestamp is more than five minutes away"
        expected = signature_for(self.slack_signing_secret, timestamp, request.body or b"")
        if not hmac.compare_digest(expected.encode("utf-8"), signature.encode("utf-8")):
            return "X-Slack-Signature does not match"
        return None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        install_watcher()
        slack_webhook = Blueprint("bot_channels_slack", __name__)

        @slack_webhook.listener("before_server_start")
        async def identify_on_start(_app: Any, _loop: Any) -> None:
            await self.learn_identity()

        @slack_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @slack_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if len(request.body or b"") > MAX_BODY_BYTES:
                return response.json(
                    {"ok": False,
                     "error": f"the request body is larger than {MAX_BODY_BYTES} bytes"},
                    status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
            problem = self.signature_problem(request)
            if problem:
                logger.warning("Slack request refused: %s", problem)
                return response.json({"ok": False, "error": problem},
                                     status=HTTPStatus.UNAUTHORIZED)
            kind = media_type(request)
            if kind == "application/json":
                return await self.handle_event(request, on_new_message)
            if kind == "application/x-www-form-urlencoded":
                return await self.handle_interaction(request, on_new_message)
            return response.json({"ok": False, "error": f"unsupported Content-Type '{kind}'"},
                                 status=HTTPStatus.UNSUPPORTED_MEDIA_TYPE)

        return slack_webhook

    def _dispatch(
        self,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        text: str,
        sender_id: str,
        channel_id: str | None,
        thread_id: str | None,
        metadata: Dict[str, Any],
        before: Callable[[], Awaitable[Any]] | None = None,
        clipped: bool = False,
    ) -> None:
        """Handle the message in the background: Slack wants an answer within 3 s."""
        conversation_id = self._get_conversation_id(sender_id, channel_id, thread_id)
        out = self.get_output_channel(channel_id, thread_id if self.use_threads else None)
        message = UserMessage(text, out, conversation_id, input_channel=self.name(),
                              metadata=metadata)

        async def run() -> None:
            try:
                if before is not None:
                    await before()
                await guarded_turn(on_new_message, message, clipped=clipped)
            except Exception as error:  # noqa: BLE001 - logged by type, never the text
                logger.error("Slack: failed to handle a message: %s", type(error).__name__)

        self._in_background(run())

    def _in_background(self, work: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(work)
        self._background_tasks.add(task)
        task.add_done_callback(self._background_tasks.discard)

    def _reply_directly(self, channel_id: str | None, thread_id: str | None,
                        conversation_id: str, text: str) -> None:
        """Answer without a turn (empty, emoji-only, non-Latin message)."""
        out = self.get_output_channel(channel_id, thread_id if self.use_threads else None)
        self._in_background(out.send_text_message(conversation_id, text))

    def ids_problem(self, sender_id: Any, channel_id: Any, thread_id: Any) -> str | None:
        """Why these ids cannot make a conversation id (None when they can).

        A lone surrogate in an id stopped the whole Rasa server through REST
        (its SQL tracker store exits on ``ValueError``); a very long one does not
        fit PostgreSQL's ``sender_id`` column; a non-string thread id made
        Rasa's ``_get_conversation_id`` raise (500).
        """
        try:
            check_sender(sender_id, "user")
            if channel_id is not None:
                check_sender(channel_id, "channel")
            if thread_id is not None:
                check_sender(thread_id, "thread_ts")
            check_sender(self._get_conversation_id(sender_id, channel_id, thread_id),
                         "conversation id")
        except BadRequest as error:
            return str(error)
        return None

    def is_from_a_bot(self, body: Dict[str, Any], event: Dict[str, Any]) -> bool:
        if event.get("bot_id") or event.get("bot_profile"):
            return True
        if event.get("subtype") not in USER_SUBTYPES:
            return True
        own = set(self.own_user_ids)
        for authorization in body.get("authorizations") or []:
            if isinstance(authorization, dict) and authorization.get("is_bot"):
                own.add(authorization.get("user_id"))
        return event.get("user") in own

    async def handle_event(
        self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> HTTPResponse:
        try:
            body = read_json_object(request.body or b"")
        except BadRequest as error:
            status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE if too_large(error) else (
                HTTPStatus.BAD_REQUEST)
            return response.json({"ok": False, "error": str(error)}, status=status)
        if body.get("type") == "url_verification":
            return response.json({"challenge": body.get("challenge")})
        if body.get("type") != "event_callback":
            return response.json({"ok": True, "ignored": f"event type {body.get('type')}"})
        event = body.get("event")
        if not isinstance(event, dict):
            return response.json({"ok": False, "error": "event_callback without an event"},
                                 status=HTTPStatus.BAD_REQUEST)
        retry = request.headers.get("X-Slack-Retry-Num")
        channel_id = event.get("channel")
        message_key = ("message", channel_id, event.get("ts")) if event.get("ts") else None
        event_key = ("event", body.get("event_id")) if body.get("event_id") else None
        if self._seen.check_and_add(event_key, message_key):
            logger.info("Slack: event %s already handled (retry %s)", body.get("event_id"), retry)
            return response.json({"ok": True, "ignored": "already handled"},
                                 headers={"X-Slack-No-Retry": "1"})
        if retry:
            logger.info("Slack: retry #%s of an event not seen before (%s)", retry,
                        request.headers.get("X-Slack-Retry-Reason"))
        if event.get("type") not in ("message", "app_mention"):
            return response.json({"ok": True, "ignored": f"event {event.get('type')}"})
        if self.is_from_a_bot(body, event):
            return response.json({"ok": True, "ignored": "message from a bot"})
        text, sender_id = event.get("text"), event.get("user")
        thread_id = event.get("thread_ts", event.get("ts"))
        problem = self.ids_problem(sender_id, channel_id, thread_id)
        if problem is None and text is not None and not isinstance(text, str):
            problem = "'text' must be a string"
        if problem is not None:
            return response.json({"ok": False, "error": problem},
                                 status=HTTPStatus.BAD_REQUEST)
        metadata = self._event_metadata(body, event)
        if not self._is_supported_channel(body, metadata):
            logger.info("Slack: ignoring a message in channel %s", channel_id)
            return response.json({"ok": True, "ignored": "channel not supported"})
        conversation_id = str(self._get_conversation_id(sender_id, channel_id, thread_id))
        # A message without text (a file on its own) is answered like an empty one.
        checked = read_text(conversation_id,
                            self._sanitize_user_message(text or "", metadata["users"]))
        if checked.direct_reply is not None:
            self._reply_directly(channel_id, thread_id, conversation_id, checked.direct_reply)
            return response.json({"ok": True, "answered": "directly"})
        self._dispatch(on_new_message, checked.text, sender_id, channel_id, thread_id,
                       metadata, clipped=checked.clipped)
        return response.json({"ok": True})

    @staticmethod
    def _event_metadata(body: Dict[str, Any], event: Dict[str, Any]) -> Dict[str, Any]:
        users: List[str] = []
        if isinstance(body.get("authed_users"), list):
            users = [user for user in body["authed_users"] if isinstance(user, str)]
        for authorization in body.get("authorizations") or []:
            if isinstance(authorization, dict) and authorization.get("user_id"):
                users.append(authorization["user_id"])
        return {
            "out_channel": event.get("channel"),
            "thread_id": event.get("thread_ts", event.get("ts")),
            "users": users,
        }

    async def handle_interaction(
        self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> HTTPResponse:
        try:
            form = parse_qs((request.body or b"").decode("utf-8"))
            payload = json.loads(form["payload"][0])
        except (KeyError, IndexError, ValueError, UnicodeDecodeError):
            return response.json({"ok": False, "error": "expected a form field 'payload' "
                                  "holding JSON"}, status=HTTPStatus.BAD_REQUEST)
        if not isinstance(payload, dict):
            return response.json({"ok": False, "error": "payload is not a JSON object"},
                                 status=HTTPStatus.BAD_REQUEST)
        actions = payload.get("actions")
        user = payload.get("user")
        if (payload.get("type") not in ("block_actions", "interactive_message")
                or not isinstance(actions, list) or not actions
                or not isinstance(actions[0], dict)
                or not isinstance(user, dict) or not isinstance(user.get("id"), str)):
            return response.json({"ok": True, "ignored": f"interaction {payload.get('type')}"})
        if not self._is_interactive_message(payload):
            return response.json({"ok": True, "ignored": "unsupported interactive element"})
        action = actions[0]
        text = self._get_interactive_response(action)
        if text is None:
            return response.json({"ok": True, "ignored": "no value (link button)"})
        channel = payload.get("channel") if isinstance(payload.get("channel"), dict) else {}
        container = payload.get("container") if isinstance(payload.get("container"), dict) else {}
        message = payload.get("message") if isinstance(payload.get("message"), dict) else {}
        channel_id = channel.get("id") or container.get("channel_id")
        thread_id = message.get("thread_ts", message.get("ts"))
        problem = self.ids_problem(user["id"], channel_id, thread_id)
        if problem is not None:
            return response.json({"ok": False, "error": problem},
                                 status=HTTPStatus.BAD_REQUEST)
        checked = read_text(user["id"], str(text))
        if not checked.text:
            return response.json({"ok": True, "ignored": "empty button value"})
        if self._seen.check_and_add(("action", action.get("action_ts"), user["id"])
                                    if action.get("action_ts") else None):
            return response.json({"ok": True, "ignored": "already handled"})
        # One answer per block of buttons: a second click (Slack gives it a new
        # action_ts) is acknowledged and changes nothing.
        if message.get("ts") and self._seen.check_and_add(
                ("clicked", channel_id, message.get("ts"))):
            return response.json({"ok": True, "ignored": "already answered"})
        token, _ = split_token(str(action.get("action_id") or ""))
        if token is None:  # buttons without a question token: an expired message
            self._reply_directly(channel_id, thread_id, user["id"], EXPIRED_BUTTON_REPLY)
            return response.json({"ok": True, "answered": "expired button"})
        metadata = {"out_channel": channel_id, "thread_id": thread_id, "users": [user["id"]],
                    ANSWER_TO: token}
        label = action.get("text")
        title = label.get("text") if isinstance(label, dict) else None
        out = self.get_output_channel(channel_id)

        async def show_choice() -> None:
            if channel_id and message:
                await out.show_choice(channel_id, message, str(title or text))

        self._dispatch(on_new_message, checked.text, user["id"], channel_id, thread_id,
                       metadata, before=show_choice)
        return response.text("")

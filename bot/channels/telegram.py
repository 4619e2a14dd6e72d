"""Telegram channel: Rasa's TelegramInput with a checked webhook and a configurable API.

Referenced from a credentials file as ``bot.channels.telegram.TelegramChannel``
(see ``channels/telegram.yml`` and docs/channels.md). Compared with Rasa's own
connector it

* refuses webhook calls whose ``X-Telegram-Bot-Api-Secret-Token`` header is
  missing or wrong (403), and registers that secret with ``setWebhook``;
* sends through the Bot API at ``api_url`` (default https://api.telegram.org),
  so tests and self-hosted Bot API servers can be used;
* registers the webhook once the server runs (Rasa's connector does it in a
  throw-away event loop) and checks the token's bot name once, not per update;
* turns buttons into an inline keyboard; a click (callback query) is answered,
  the keyboard is replaced by the choice, and the button payload goes to Rasa;
* answers odd or malformed updates with 200 (ignored), 400 or 413, never 500, and
  handles a redelivered update only once;
* checks ids and text like every channel (``bot.security.input``): a chat id
  that is not a usable conversation id is refused (400); the text is cleaned
  and cut to ``MAX_MESSAGE_CHARS`` (with a note); an empty, emoji-only or
  non-Latin message gets a direct answer without touching the conversation;
* runs each turn through ``bot.channels.turn_guard``, so a failed custom action
  or a broken turn ends with a note to the runner.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Awaitable, Callable, Dict, List

from aiogram import Bot
from aiogram.bot.api import TelegramAPIServer
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils import exceptions as telegram_errors
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.telegram import TelegramInput, TelegramOutput
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.common import SeenKeys, is_http_url, with_progress
from bot.channels.turn_guard import guarded_turn, install_watcher
from bot.dialogue.button_answers import ANSWER_TO, question_token, split_token, with_token
from bot.security.input import (
    EMPTY_REPLY,
    BadRequest,
    check_sender,
    read_json_object,
    read_text,
    too_large,
)

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.telegram.org"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's rule for setWebhook's secret_token: 1-256 characters A-Z, a-z, 0-9, _ and -.
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
TOKEN_PATTERN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
ALLOWED_UPDATES = ["message", "callback_query"]
MAX_MESSAGE_CHARS = 4096  # Bot API limit for sendMessage text
MAX_CALLBACK_DATA_BYTES = 64  # Bot API limit for callback_data
LONG_PAYLOAD_PREFIX = "#p:"
REQUEST_TIMEOUT_S = 30
GREETING = "hi"
RESTART = "/restart"  # Rasa's restart; the only text the bot sends with a leading "/"
NOT_TEXT_REPLY = "Sorry, I can only read text messages. Please type your answer."
MEDIA_NOTE = ("I can only read text, so I read the words you sent with it but can't "
              "see the attachment itself.")
EXPIRED_BUTTON_REPLY = "This button has expired. Please type your answer instead."
ALREADY_ANSWERED_REPLY = "Already answered."


def split_for_telegram(text: str, limit: int = MAX_MESSAGE_CHARS) -> List[str]:
    """Cut ``text`` into pieces Telegram accepts, at line or word breaks when possible."""
    text = text.strip()
    pieces: List[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        if cut <= 0:
            cut = text.rfind(" ", 0, limit)
        if cut <= 0:
            cut = limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        pieces.append(text)
    return pieces


class TelegramChannelOutput(TelegramOutput):
    """Rasa's TelegramOutput on a Bot API server of our choice, with inline keyboards."""

    def __init__(self, access_token: str, api_url: str = DEFAULT_API_URL) -> None:
        # Skip TelegramOutput.__init__, which cannot pass a server to aiogram's Bot.
        Bot.__init__(
            self,
            access_token,
            server=TelegramAPIServer.from_base(api_url),
            timeout=REQUEST_TIMEOUT_S,
        )
        self.api_url = api_url
        # Payloads longer than callback_data allows, by short key (newest last).
        self._long_payloads: OrderedDict[str, str] = OrderedDict()

    async def close_session(self) -> None:
        """Close the HTTP session.

        Same as aiogram's ``close()``, which warns about its 3.0 change and
        forces that warning on (``warnings.simplefilter("always")``).
        """
        session = getattr(self, "_session", None)
        if session is not None and not session.closed:
            await session.close()

    async def call_api(self, what: str, call: Callable[[], Awaitable[Any]]) -> Any:
        """Make one Bot API call; wait once on flood control; log and swallow failures.

        A failed send must not abort Rasa's turn (the tracker would not be saved).
        """
        for attempt in (1, 2):
            try:
                return await call()
            except telegram_errors.RetryAfter as error:
                if attempt == 2 or error.timeout > 30:
                    logger.error("Telegram %s: flood control (%s)", what, error)
                    return None
                await asyncio.sleep(error.timeout)
            except (telegram_errors.NetworkError, asyncio.TimeoutError, OSError) as error:
                if attempt == 2:
                    logger.error("Telegram %s failed: %s", what, error)
                    return None
                await asyncio.sleep(1)
            except telegram_errors.TelegramAPIError as error:
                logger.error("Telegram %s refused: %s", what, error)
                return None
        return None

    async def _send(self, chat_id: str, text: str, **kwargs: Any) -> Any:
        return await self.call_api(
            "sendMessage", lambda: self.send_message(chat_id, text, **kwargs)
        )

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        for paragraph in with_progress(text, kwargs).strip().split("\n\n"):
            for piece in split_for_telegram(paragraph):
                await self._send(recipient_id, piece)

    def callback_data_for(self, payload: str) -> str:
        """The button's callback_data: the payload itself, or a short key when too long."""
        if len(payload.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
            return payload
        key = LONG_PAYLOAD_PREFIX + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:24]
        self._long_payloads[key] = payload
        self._long_payloads.move_to_end(key)
        while len(self._long_payloads) > 4096:
            self._long_payloads.popitem(last=False)
        return key

    def payload_for(self, callback_data: str) -> str | None:
        """The payload behind a clicked button; None when a long payload was forgotten."""
        if callback_data.startswith(LONG_PAYLOAD_PREFIX):
            return self._long_payloads.get(callback_data)
        return callback_data

    def inline_keyboard(self, buttons: List[Dict[str, Any]], token: str) -> InlineKeyboardMarkup:
        """The buttons as an inline keyboard; each key says which question it answers."""
        keys = [
            InlineKeyboardButton(
                str(button.get("title") or button.get("payload")),
                callback_data=self.callback_data_for(
                    with_token(token, str(button.get("payload") or button["title"]))),
            )
            for button in buttons
            if button.get("title") or button.get("payload")
        ]
        short = len(keys) <= 3 and sum(len(key.text) for key in keys) <= 36
        rows = [keys] if short else [[key] for key in keys]
        return InlineKeyboardMarkup(inline_keyboard=rows)

    async def send_text_with_buttons(
        self,
        recipient_id: str,
        text: str,
        buttons: List[Dict[str, Any]],
        button_type: str | None = "inline",
        **kwargs: Any,
    ) -> None:
        """Send ``text`` with the buttons as an inline keyboard under its last piece."""
        token = question_token(text, kwargs.get("timestamp"))
        pieces = split_for_telegram(with_progress(text, kwargs)) or ["…"]
        for piece in pieces[:-1]:
            await self._send(recipient_id, piece)
        await self._send(recipient_id, pieces[-1],
                         reply_markup=self.inline_keyboard(buttons, token))


@dataclass
class Incoming:
    """What a Telegram update asks of the bot."""

    chat_id: int
    texts: List[str] = field(default_factory=list)
    callback_query_id: str | None = None
    callback_message: Dict[str, Any] | None = None
    callback_data: str | None = None
    not_text: bool = False  # a photo, file, sticker, ... (any caption is in ``texts``)
    inline_callback: bool = False  # a click on a message sent in inline mode


class MalformedUpdate(ValueError):
    """The JSON is not a Telegram update the bot can read."""


def _int_field(container: Dict[str, Any], key: str, where: str) -> int:
    value = container.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise MalformedUpdate(f"{where}.{key} must be an integer")
    return value


def _chat_id_field(container: Dict[str, Any], key: str, where: str) -> int:
    """An integer chat or user id that is also a usable conversation id."""
    value = _int_field(container, key, where)
    try:
        check_sender(str(value), f"{where}.{key}")
    except BadRequest as error:
        raise MalformedUpdate(str(error)) from None
    return value


def _dict_field(container: Dict[str, Any], key: str, where: str) -> Dict[str, Any]:
    value = container.get(key)
    if not isinstance(value, dict):
        raise MalformedUpdate(f"{where}.{key} must be an object")
    return value


def user_texts(text: str) -> List[str]:
    """Texts for Rasa from a typed message; Telegram commands are translated.

    ``/start`` and ``/help`` greet, ``/restart`` restarts the conversation and
    greets; any other leading slash is dropped so typed text is never read as
    Rasa's ``/intent{...}`` syntax.
    """
    stripped = text.strip()
    if not stripped.startswith("/"):
        return [stripped] if stripped else []
    command = stripped.split(maxsplit=1)[0].split("@", 1)[0].lower()
    if command in ("/start", "/help"):
        return [GREETING]
    if command == "/restart":
        return [RESTART, GREETING]
    rest = stripped.lstrip("/").strip()
    return [rest] if rest else []


def read_update(update: Any) -> Incoming | None:
    """Read a Telegram update; None when there is nothing to answer.

    Raises MalformedUpdate when the JSON does not have an update's shape.
    """
    if not isinstance(update, dict):
        raise MalformedUpdate("an update must be a JSON object")
    _int_field(update, "update_id", "update")
    if "message" in update:
        message = _dict_field(update, "message", "update")
        chat = _dict_field(message, "chat", "message")
        chat_id = _chat_id_field(chat, "id", "message.chat")
        if chat.get("type", "private") != "private":
            logger.info("Telegram: ignoring a message from a %s chat", chat.get("type"))
            return None
        text = message.get("text")
        if text is None:
            # A photo, document, video, ... may come with a caption: read it.
            caption = message.get("caption")
            if caption is not None and not isinstance(caption, str):
                raise MalformedUpdate("message.caption must be a string")
            return Incoming(chat_id=chat_id, texts=user_texts(caption or ""), not_text=True)
        if not isinstance(text, str):
            raise MalformedUpdate("message.text must be a string")
        return Incoming(chat_id=chat_id, texts=user_texts(text))
    if "callback_query" in update:
        query = _dict_field(update, "callback_query", "update")
        query_id = query.get("id")
        if not isinstance(query_id, str) or not query_id:
            raise MalformedUpdate("callback_query.id must be a string")
        data = query.get("data")
        if data is not None and not isinstance(data, str):
            raise MalformedUpdate("callback_query.data must be a string")
        message = query.get("message")
        if isinstance(message, dict):
            chat = _dict_field(message, "chat", "callback_query.message")
            chat_id = _chat_id_field(chat, "id", "callback_query.message.chat")
            if chat.get("type", "private") != "private":
                return None
        else:
            # A button under a message sent in inline mode (``inline_message_id``),
            # or one too old for Telegram to include: not a question of this chat.
            message = None
            chat_id = _chat_id_field(_dict_field(query, "from", "callback_query"), "id",
                                     "callback_query.from")
        return Incoming(chat_id=chat_id, callback_query_id=query_id,
                        callback_message=message, callback_data=data,
                        inline_callback=message is None)
    return None  # edited messages, channel posts, chat member changes, ...


def chosen_title(message: Dict[str, Any], data: str, payload: str) -> str:
    """The title of the clicked button, from the message's inline keyboard."""
    keyboard = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    for row in keyboard if isinstance(keyboard, list) else []:
        for key in row if isinstance(row, list) else []:
            if isinstance(key, dict) and key.get("callback_data") == data and key.get("text"):
                return str(key["text"])
    return payload


class TelegramChannel(TelegramInput):
    """Telegram input channel with a secret-token check and a configurable Bot API URL.

    Credentials: ``access_token``, ``verify`` (the bot's username),
    ``webhook_url``, ``secret_token`` and optionally ``api_url``.
    """

    @classmethod
    def name(cls) -> str:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: Dict[str, Any] | None) -> InputChannel:
        if not credentials:
            cls.raise_missing_credentials_exception()
        return cls(
            access_token=credentials.get("access_token"),
            verify=credentials.get("verify"),
            webhook_url=credentials.get("webhook_url"),
            secret_token=credentials.get("secret_token"),
            api_url=credentials.get("api_url") or DEFAULT_API_URL,
        )

    def __init__(
        self,
        access_token: str | None,
        verify: str | None,
        webhook_url: str | None,
        secret_token: str | None = None,
        api_url: str = DEFAULT_API_URL,
        debug_mode: bool = False,
    ) -> None:
        super().__init__(access_token, verify, webhook_url, debug_mode=debug_mode)
        problems = []
        if not isinstance(access_token, str) or not TOKEN_PATTERN.match(access_token):
            problems.append("access_token (TELEGRAM_BOT_TOKEN) must look like 123456:ABC-DEF...")
        if not isinstance(secret_token, str) or not SECRET_PATTERN.match(secret_token):
            problems.append(
                "secret_token (TELEGRAM_SECRET_TOKEN) must be 1-256 characters of "
                "A-Z, a-z, 0-9, _ and -"
            )
        if not is_http_url(webhook_url):
            problems.append("webhook_url (TELEGRAM_WEBHOOK_URL) must be an https:// URL")
        if not is_http_url(api_url):
            problems.append("api_url (TELEGRAM_API_URL) must be an http(s) URL")
        if problems:
            raise RasaException("Telegram channel misconfigured: " + "; ".join(problems))
        if not str(webhook_url).startswith("https://"):
            logger.warning("Telegram only delivers webhooks to https:// URLs, not %s", webhook_url)
        self.secret_token = str(secret_token)
        self.api_url = str(api_url).rstrip("/")
        self._output: TelegramChannelOutput | None = None
        self._seen_updates = SeenKeys()

    def get_output_channel(self) -> TelegramChannelOutput:
        """The channel's one output (no network call, unlike Rasa's connector)."""
        if self._output is None:
            self._output = TelegramChannelOutput(str(self.access_token), self.api_url)
        return self._output

    def secret_matches(self, header: str | None) -> bool:
        if not header:
            return False
        return hmac.compare_digest(header.encode("utf-8"), self.secret_token.encode("utf-8"))

    async def register_webhook(self) -> None:
        """Check the token's bot name and register the webhook with its secret.

        A refused token, a wrong bot name or a refused webhook URL stop the
        server (the configuration is wrong); an unreachable or busy API is only
        logged, as Telegram keeps the webhook registered before.
        """
        out = self.get_output_channel()
        try:
            me = await out.get_me()
            expected = (self.verify or "").lstrip("@").lower()
            if expected and (me.username or "").lower() != expected:
                raise RasaException(
                    f"TELEGRAM_BOT_NAME is '{self.verify}' but the token belongs to "
                    f"'@{me.username}'"
                )
            await out.set_webhook(
                self.webhook_url,
                secret_token=self.secret_token,
                allowed_updates=ALLOWED_UPDATES,
            )
        except (telegram_errors.Unauthorized, telegram_errors.NotFound) as error:
            raise RasaException(
                f"Telegram refused the bot token (TELEGRAM_BOT_TOKEN): {error}"
            ) from error
        except telegram_errors.BadRequest as error:
            raise RasaException(
                f"Telegram refused setWebhook({self.webhook_url}): {error}"
            ) from error
        except (telegram_errors.TelegramAPIError, asyncio.TimeoutError, OSError) as error:
            # Unreachable, flood control, Telegram restarting: the webhook set
            # before stays in place, so keep serving.
            logger.error("Telegram: could not set the webhook via %s: %s", self.api_url, error)
            return
        logger.info("Telegram webhook for @%s set to %s", me.username, self.webhook_url)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        install_watcher()
        telegram_webhook = Blueprint("bot_channels_telegram", __name__)
        out_channel = self.get_output_channel()

        @telegram_webhook.listener("before_server_start")
        async def set_webhook_on_start(_app: Any, _loop: Any) -> None:
            await self.register_webhook()

        @telegram_webhook.listener("after_server_stop")
        async def close_session(_app: Any, _loop: Any) -> None:
            await out_channel.close_session()

        @telegram_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @telegram_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            return await self.handle_webhook(request, on_new_message)

        return telegram_webhook

    async def handle_webhook(
        self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> HTTPResponse:
        if not self.secret_matches(request.headers.get(SECRET_HEADER)):
            logger.warning("Telegram webhook call refused: missing or wrong secret token")
            return response.json(
                {"ok": False, "error": f"missing or wrong {SECRET_HEADER} header"},
                status=HTTPStatus.FORBIDDEN,
            )
        try:
            update: Any = read_json_object(request.body or b"")
        except BadRequest as error:
            status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE if too_large(error) else (
                HTTPStatus.BAD_REQUEST)
            return response.json({"ok": False, "error": str(error)}, status=status)
        try:
            incoming = read_update(update)
        except MalformedUpdate as error:
            return response.json({"ok": False, "error": f"not a Telegram update: {error}"},
                                 status=HTTPStatus.BAD_REQUEST)
        if self._seen_updates.check_and_add(("update", update["update_id"])):
            logger.info("Telegram: update %s was already handled", update["update_id"])
            return response.json({"ok": True, "ignored": "update already handled"})
        if incoming is None:
            return response.json({"ok": True, "ignored": "nothing to answer in this update"})
        try:
            await self._answer(incoming, update, on_new_message)
        except Exception:  # a 5xx would make Telegram redeliver the update again and again
            logger.exception("Telegram: failed to handle update %s", update.get("update_id"))
            return response.json({"ok": False, "error": "the bot failed on this update"})
        return response.json({"ok": True})

    async def _answer(
        self,
        incoming: Incoming,
        update: Dict[str, Any],
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> None:
        out = self.get_output_channel()
        chat_id = str(incoming.chat_id)
        texts = incoming.texts
        metadata: Dict[str, Any] = {"telegram_update_id": update.get("update_id")}
        if incoming.callback_query_id is not None:
            click = await self._read_click(incoming, chat_id)
            if click is None:
                return
            texts = [click[1]]
            metadata[ANSWER_TO] = click[0]
        elif not texts:  # empty, blank, a lone "/", or media without a caption
            await out.send_text_message(chat_id, NOT_TEXT_REPLY if incoming.not_text
                                        else EMPTY_REPLY)
            return
        for text in texts:
            if text == RESTART:  # the /restart command (user_texts), not typed text
                message = UserMessage(RESTART, out, chat_id, input_channel=self.name(),
                                      metadata=metadata)
                await guarded_turn(on_new_message, message)
                continue
            checked = read_text(chat_id, text)
            if checked.direct_reply is not None:
                await out.send_text_message(chat_id, checked.direct_reply)
                continue
            message = UserMessage(checked.text, out, chat_id, input_channel=self.name(),
                                  metadata=metadata)
            await guarded_turn(on_new_message, message, clipped=checked.clipped)
        if incoming.not_text:
            await out.send_text_message(chat_id, MEDIA_NOTE)

    async def _read_click(self, incoming: Incoming, chat_id: str) -> tuple[str, str] | None:
        """Acknowledge a button click; its question token and payload when it is an answer.

        Every click is acknowledged (answerCallbackQuery), or Telegram shows a
        spinner on the button. A click from an inline message, a second tap on the
        same keyboard, or a key without a question token (an expired keyboard) goes
        no further. Whether the click still answers the open question is decided
        inside Rasa (bot.dialogue.button_answers), where replicas agree.
        """
        out = self.get_output_channel()
        query_id = str(incoming.callback_query_id)
        data = out.payload_for(incoming.callback_data) if incoming.callback_data else None
        token, payload = split_token(data) if data is not None else (None, "")
        message_id = (incoming.callback_message or {}).get("message_id")
        notice: str | None = None
        if incoming.inline_callback:
            logger.info("Telegram: acknowledged a click without a chat message")
        elif token is None or not payload:
            notice = EXPIRED_BUTTON_REPLY
        elif message_id is not None and self._seen_updates.check_and_add(
                ("keyboard", chat_id, message_id)):
            notice = ALREADY_ANSWERED_REPLY
        await out.call_api("answerCallbackQuery",
                           lambda: out.answer_callback_query(query_id, text=notice))
        if incoming.inline_callback or notice is not None or token is None:
            return None
        await self._show_choice(incoming, chat_id, payload)
        return token, payload

    async def _show_choice(self, incoming: Incoming, chat_id: str, payload: str) -> None:
        """Replace the clicked keyboard by the choice, so old buttons cannot be clicked again."""
        message = incoming.callback_message
        if not message or not isinstance(message.get("message_id"), int):
            return
        out = self.get_output_channel()
        title = chosen_title(message, incoming.callback_data or "", payload)
        original = message.get("text")
        if isinstance(original, str) and original:
            new_text = split_for_telegram(f"{original}\n\n→ {title}")[0]
            await out.call_api(
                "editMessageText",
                lambda: out.edit_message_text(
                    new_text, chat_id=chat_id, message_id=message["message_id"]
                ),
            )
        else:
            await out.call_api(
                "editMessageReplyMarkup",
                lambda: out.edit_message_reply_markup(
                    chat_id=chat_id, message_id=message["message_id"]
                ),
            )

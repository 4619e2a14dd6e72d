"""Local stand-ins for the Telegram Bot API and the Slack Web API.

Each fake is a real aiohttp server on 127.0.0.1 (a free port, in a thread of
its own) that records every call the bot makes and is meant to be as strict as
the platform it stands for: it refuses what the real API refuses, with the
real HTTP status, error code and wording, and answers in the real payload
shapes. tests/channels/FAKES.md lists every shape and refusal with the source
(API documentation, the Bot API server's source code, captured responses) it
was taken from; the comments here name the rule, FAKES.md the evidence.

A test sets up the platform's own state with these controls (nothing else
loosens a check):

* ``FakeTelegram``: ``block(chat_id)``, ``never_started(chat_id)``,
  ``deactivate(chat_id)``, ``forget_chat(chat_id)``, ``user_message(...)``,
  ``issue_callback_query_id()`` / ``callback_query_update(...)``,
  ``expire_callback_query(id)``, ``rate_limit(method, ...)``, and the
  constructor's ``local_mode`` (a self-hosted ``telegram-bot-api --local``,
  which accepts any webhook URL), ``callback_query_ttl_s`` and
  ``text_length_unit``.
* ``FakeSlack``: ``archive(channel)``, ``leave(channel)``,
  ``forget_channel(channel)``, ``user_message(...)``, ``rate_limit(method,
  ...)``, ``max_text_chars`` and ``edit_window_s``.
"""

from __future__ import annotations

import asyncio
import html
import ipaddress
import itertools
import json
import re
import secrets
import string
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Set, Tuple

from aiohttp import web


@dataclass
class Call:
    """One API call the bot made: the method, its arguments and what the fake answered.

    ``result`` is the result (or the Slack answer without ``ok``) for a
    successful call, the error description (Telegram) or error code (Slack)
    for a refused one.
    """

    method: str
    params: Dict[str, Any]
    ok: bool
    result: Any
    at: float


class FakeAPI:
    """An aiohttp application served from a background thread, recording calls."""

    def __init__(self) -> None:
        self.calls: List[Call] = []
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._rate_limits: Dict[str, List[int]] = {}
        self.port = 0

    def app(self) -> web.Application:
        raise NotImplementedError

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "FakeAPI":
        ready = threading.Event()
        failure: List[BaseException] = []

        def serve() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            try:
                self._runner = web.AppRunner(self.app(), access_log=None)
                loop.run_until_complete(self._runner.setup())
                site = web.TCPSite(self._runner, "127.0.0.1", 0)
                loop.run_until_complete(site.start())
                self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            except BaseException as error:  # surfaced to the caller of start()
                failure.append(error)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=serve, name=type(self).__name__, daemon=True)
        self._thread.start()
        if not ready.wait(15):
            raise TimeoutError(f"{type(self).__name__} did not start")
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=15)

    def record(self, method: str, params: Dict[str, Any], ok: bool, result: Any) -> None:
        with self._lock:
            self.calls.append(Call(method, params, ok, result, time.time()))

    def mark(self) -> int:
        """A position in the call log; pass it to ``calls_to(since=...)``."""
        with self._lock:
            return len(self.calls)

    def calls_to(self, method: str, since: int = 0, **match: Any) -> List[Call]:
        """Calls of ``method`` after ``since`` whose params equal ``match`` (as strings)."""
        with self._lock:
            calls = list(self.calls[since:])
        return [
            call for call in calls
            if call.method.lower() == method.lower()
            and all(str(call.params.get(key)) == str(value) for key, value in match.items())
        ]

    def wait_for(
        self, method: str, since: int = 0, timeout: float = 60.0,
        where: Callable[[Call], bool] = lambda call: True, count: int = 1, **match: Any,
    ) -> List[Call]:
        """Wait until ``count`` matching calls arrived; return them (all matching calls)."""
        deadline = time.monotonic() + timeout
        while True:
            found = [call for call in self.calls_to(method, since, **match) if where(call)]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"expected {count} {method} call(s) matching {match}, got {len(found)}; "
                    f"calls since mark: {[(c.method, c.params) for c in self.calls[since:]]}"
                )
            time.sleep(0.1)

    def rate_limit(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with the platform's HTTP 429."""
        with self._lock:
            self._rate_limits[method.lower()] = [int(retry_after), int(times)]

    def _take_rate_limit(self, method: str) -> int | None:
        with self._lock:
            limit = self._rate_limits.get(method.lower())
            if not limit or limit[1] <= 0:
                return None
            limit[1] -= 1
            return limit[0]


async def _params(request: web.Request) -> Dict[str, Any]:
    """Arguments from the query string, a JSON body or a form body (all APIs accept them)."""
    params: Dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            params.update(body)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        params.update({key: value for key, value in form.items() if isinstance(value, str)})
    return params


def _json_field(params: Dict[str, Any], key: str) -> None:
    """Decode a JSON-serialized argument in place; leave it as a string when it is not JSON."""
    if isinstance(params.get(key), str):
        try:
            params[key] = json.loads(params[key])
        except ValueError:
            pass


def _truthy(value: Any) -> bool:
    return value is True or str(value).strip().lower() in ("true", "1", "yes")


# --------------------------------------------------------------------------- Telegram

TELEGRAM_TOKEN_SHAPE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
BASE64URL = re.compile(r"^[A-Za-z0-9_-]*$")
TELEGRAM_WEBHOOK_PORTS = (80, 88, 443, 8443)
TELEGRAM_TEXT_LIMIT = 4096  # characters after entity parsing and trimming
TELEGRAM_RAW_TEXT_BYTES = 1 << 15  # the Bot API server's own cap before TDLib sees the text
TELEGRAM_CALLBACK_DATA_BYTES = 64
NOT_MODIFIED = ("message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message")
QUERY_ID_INVALID = "query is too old and response timeout expired or query ID is invalid"
TEXT_BUTTONS = "Text buttons are unallowed in the inline keyboard"


class TelegramError(Exception):
    """A refusal: HTTP status / ``error_code`` and the full ``description``."""

    def __init__(self, code: int, description: str,
                 parameters: Dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


def _bad(text: str) -> TelegramError:
    return TelegramError(400, f"Bad Request: {text}")


def _forbidden(text: str) -> TelegramError:
    return TelegramError(403, f"Forbidden: {text}")


@dataclass
class _Answer:
    """A result with the optional ``description`` the Bot API adds (setWebhook, deleteWebhook)."""

    result: Any
    description: str | None = None


def _trimmed(text: str) -> str:
    """The text as Telegram stores it: right-trimmed, left-trimmed of spaces and newlines."""
    return text.rstrip().lstrip(" \n")


def _markup_key(markup: Any) -> Any:
    """What "the same reply markup" means when comparing an edit with the message."""
    if not isinstance(markup, dict) or not markup.get("inline_keyboard"):
        return None
    return json.dumps(markup["inline_keyboard"], sort_keys=True)


class FakeTelegram(FakeAPI):
    """The Bot API: ``/bot<token>/<method>`` answering ``{"ok": ..., "result": ...}``.

    Every positive chat id is a private chat with a runner who started the bot,
    unless a test says otherwise (``block``, ``never_started``, ``deactivate``,
    ``forget_chat``); negative ids (groups the bot is not in) are not found.
    """

    def __init__(self, token: str, username: str = "heavy_legs_test_bot", *,
                 local_mode: bool = False, callback_query_ttl_s: float | None = None,
                 text_length_unit: str = "codepoints") -> None:
        super().__init__()
        if text_length_unit not in ("codepoints", "utf16"):
            raise ValueError("text_length_unit is 'codepoints' or 'utf16'")
        self.token = token
        self.local_mode = local_mode
        self.callback_query_ttl_s = callback_query_ttl_s
        self.text_length_unit = text_length_unit
        self.bot_user = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": "Heavy Legs",
            "username": username,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.webhook: Dict[str, Any] = {"url": "", "has_custom_certificate": False,
                                        "pending_update_count": 0}
        self._webhook_secret = ""
        self._next_set_webhook_at = 0.0
        self._message_ids = itertools.count(100)
        # (chat id, message id) -> {"message": Message, "by_bot": bool}
        self.messages: Dict[Tuple[int, int], Dict[str, Any]] = {}
        self.blocked: Set[int] = set()
        self.not_started: Set[int] = set()
        self.deactivated: Set[int] = set()
        self.unknown_chats: Set[int] = set()
        # callback query id -> [issued at (monotonic), expired]
        self._callback_queries: Dict[str, List[Any]] = {}

    # ------------------------------------------------------------ test controls

    def block(self, chat_id: int | str) -> None:
        """The runner blocked the bot: sends get 403 "bot was blocked by the user"."""
        with self._lock:
            self.blocked.add(int(chat_id))

    def unblock(self, chat_id: int | str) -> None:
        with self._lock:
            self.blocked.discard(int(chat_id))

    def never_started(self, chat_id: int | str) -> None:
        """A user who never pressed Start: sends get 403 "bot can't initiate conversation"."""
        with self._lock:
            self.not_started.add(int(chat_id))

    def deactivate(self, chat_id: int | str) -> None:
        """A deleted account: sends get 403 "user is deactivated"."""
        with self._lock:
            self.deactivated.add(int(chat_id))

    def forget_chat(self, chat_id: int | str) -> None:
        """A chat the bot has never seen: every call about it gets "chat not found"."""
        with self._lock:
            self.unknown_chats.add(int(chat_id))

    def user_message(self, chat_id: int | str, text: str) -> Dict[str, Any]:
        """A message the runner wrote in the chat (the bot can see it, not edit it)."""
        chat_id = int(chat_id)
        message = {
            "message_id": next(self._message_ids),
            "from": {"id": chat_id, "is_bot": False, "first_name": "Runner"},
            "chat": self._chat_object(chat_id),
            "date": int(time.time()),
            "text": text,
        }
        with self._lock:
            self.messages[(chat_id, message["message_id"])] = {"message": message,
                                                               "by_bot": False}
        return message

    def issue_callback_query_id(self) -> str:
        """A callback query id as Telegram issues one when a button is clicked."""
        query_id = str(secrets.randbits(62))
        with self._lock:
            self._callback_queries[query_id] = [time.monotonic(), False]
        return query_id

    def callback_query_update(self, update_id: int, message: Dict[str, Any], data: str,
                              from_user: Dict[str, Any] | None = None) -> Dict[str, Any]:
        """An Update with a callback query on ``message`` (as Telegram would deliver it)."""
        chat_id = message["chat"]["id"]
        return {
            "update_id": update_id,
            "callback_query": {
                "id": self.issue_callback_query_id(),
                "from": from_user or {"id": chat_id, "is_bot": False, "first_name": "Runner",
                                      "language_code": "en"},
                "message": message,
                "chat_instance": "-" + str(secrets.randbits(62)),
                "data": data,
            },
        }

    def expire_callback_query(self, query_id: str) -> None:
        """Let a query grow too old to be answered."""
        with self._lock:
            if query_id in self._callback_queries:
                self._callback_queries[query_id][1] = True

    def sent_texts(self, chat_id: int | str, since: int = 0) -> List[str]:
        return [str(call.params.get("text")) for call in
                self.calls_to("sendMessage", since, chat_id=chat_id) if call.ok]

    # ------------------------------------------------------------ HTTP

    def app(self) -> web.Application:
        application = web.Application()
        application.router.add_route("*", "/bot{token}/{method}", self.handle)
        return application

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _params(request)
        for key in ("reply_markup", "allowed_updates"):
            _json_field(params, key)
        token = request.match_info["token"]
        if not TELEGRAM_TOKEN_SHAPE.match(token):
            return self._error(method, params, TelegramError(404, "Not Found"))
        if token != self.token:
            return self._error(method, params, TelegramError(401, "Unauthorized"))
        handler = getattr(self, "m_" + method.lower(), None)
        if handler is None:
            return self._error(method, params, TelegramError(404, "Not Found: method not found"))
        retry_after = self._take_rate_limit(method)
        if retry_after is not None:
            return self._error(method, params, TelegramError(
                429, f"Too Many Requests: retry after {retry_after}",
                {"retry_after": retry_after}))
        try:
            answer = handler(params)
        except TelegramError as error:
            return self._error(method, params, error)
        if not isinstance(answer, _Answer):
            answer = _Answer(answer)
        self.record(method, params, True, answer.result)
        body: Dict[str, Any] = {"ok": True, "result": answer.result}
        if answer.description:
            body["description"] = answer.description
        return web.json_response(body)

    def _error(self, method: str, params: Dict[str, Any], error: TelegramError) -> web.Response:
        self.record(method, params, False, error.description)
        body: Dict[str, Any] = {"ok": False, "error_code": error.code,
                                "description": error.description}
        if error.parameters:
            body["parameters"] = error.parameters
        return web.json_response(body, status=error.code)

    # ------------------------------------------------------------ checks

    def _chat_id(self, raw: Any) -> int:
        """The chat for ``chat_id``, or the Bot API's refusal when there is none."""
        if raw is None or str(raw).strip() == "":
            raise _bad("chat_id is empty")
        try:
            chat_id = int(str(raw).strip())
        except ValueError:
            raise _bad("chat not found") from None  # @usernames of chats the bot is not in too
        with self._lock:
            unknown = chat_id in self.unknown_chats
        if chat_id <= 0 or unknown:
            raise _bad("chat not found")
        return chat_id

    def _check_can_send(self, chat_id: int) -> None:
        with self._lock:
            blocked = chat_id in self.blocked
            deactivated = chat_id in self.deactivated
            not_started = chat_id in self.not_started
        if deactivated:
            raise _forbidden("user is deactivated")
        if blocked:
            raise _forbidden("bot was blocked by the user")
        if not_started:
            raise _forbidden("bot can't initiate conversation with a user")

    @staticmethod
    def _raw_text(params: Dict[str, Any]) -> str:
        text = params.get("text")
        text = "" if text is None else str(text)
        if text == "":
            raise _bad("message text is empty")
        if len(text.encode("utf-8")) > TELEGRAM_RAW_TEXT_BYTES:
            raise _bad("text is too long")
        return text

    def _length(self, text: str) -> int:
        if self.text_length_unit == "utf16":
            return len(text.encode("utf-16-le")) // 2
        return len(text)

    def _stored_text(self, raw: str) -> str:
        text = _trimmed(raw)
        if not text:
            raise _bad("message must be non-empty")
        if self._length(text) > TELEGRAM_TEXT_LIMIT:
            raise _bad("message is too long")
        return text

    @staticmethod
    def _markup(params: Dict[str, Any]) -> Dict[str, Any] | None:
        """The reply markup, checked the way the Bot API server parses it."""
        markup = params.get("reply_markup")
        if markup is None or markup == "":
            return None
        if isinstance(markup, str):
            raise _bad("can't parse reply keyboard markup JSON object")
        if not isinstance(markup, dict):
            raise _bad("object expected as reply markup")
        if "inline_keyboard" not in markup:
            return markup
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list):
            raise _bad('field "inline_keyboard" must be of type Array')
        for row in rows:
            if not isinstance(row, list):
                raise _bad('field "inline_keyboard" of the InlineKeyboardMarkup must be an '
                           'Array of Arrays')
            for key in row:
                problem = FakeTelegram._button_problem(key)
                if problem:
                    raise _bad(f"can't parse inline keyboard button: {problem}")
        return markup

    @staticmethod
    def _button_problem(key: Any) -> str | None:
        if not isinstance(key, dict):
            return "InlineKeyboardButton must be an Object"
        if "text" not in key:
            return "Can't find field \"text\""
        if not isinstance(key["text"], str):
            return "Field \"text\" must be of type String"
        actions = ("url", "callback_data", "callback_game", "pay", "switch_inline_query",
                   "switch_inline_query_chosen_chat", "switch_inline_query_current_chat",
                   "login_url", "web_app")
        # An empty url or callback_data counts as absent.
        if not any(key.get(action) not in (None, "") for action in actions):
            return TEXT_BUTTONS
        return None

    @staticmethod
    def _check_callback_data(markup: Dict[str, Any] | None) -> None:
        """Telegram's own check (after the Bot API server): callback_data is 1-64 bytes."""
        rows = (markup or {}).get("inline_keyboard") or []
        for key in (key for row in rows for key in row):
            data = key.get("callback_data")
            if data not in (None, "") and len(str(data).encode("utf-8")) > \
                    TELEGRAM_CALLBACK_DATA_BYTES:
                raise _bad("BUTTON_DATA_INVALID")

    def _chat_object(self, chat_id: int) -> Dict[str, Any]:
        return {"id": chat_id, "first_name": "Runner", "username": f"runner{chat_id}",
                "type": "private"}

    def _bot_sender(self) -> Dict[str, Any]:
        # Messages carry the short User object; can_join_groups etc. come with getMe only.
        return {key: self.bot_user[key] for key in ("id", "is_bot", "first_name", "username")}

    # ------------------------------------------------------------ Bot API methods

    def m_getme(self, params: Dict[str, Any]) -> Any:
        return dict(self.bot_user)

    def m_setwebhook(self, params: Dict[str, Any]) -> Any:
        url = str(params.get("url") or "")
        if not url:
            return self.m_deletewebhook(params)
        now = time.monotonic()
        if now < self._next_set_webhook_at:  # one setWebhook a second
            raise TelegramError(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        self._next_set_webhook_at = now + 1
        secret = str(params.get("secret_token") or "")
        allowed = params.get("allowed_updates")
        if (url == self.webhook["url"] and secret == self._webhook_secret
                and not _truthy(params.get("drop_pending_updates"))):
            if allowed is not None:
                self.webhook["allowed_updates"] = allowed
            return _Answer(True, "Webhook is already set")
        parsed = self._parse_webhook_url(url)
        if parsed is None:
            raise _bad("invalid webhook URL specified")
        if len(secret) > 256:
            raise _bad("secret token is too long")
        if not BASE64URL.match(secret):
            raise _bad("secret token contains unallowed characters")
        scheme, host, port = parsed
        if not self.local_mode:
            if scheme != "https":
                raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
            if port not in TELEGRAM_WEBHOOK_PORTS:
                raise _bad("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
            problem = self._webhook_ip_problem(host)
            if problem:
                raise _bad(f"bad webhook: {problem}")
        self.webhook = {"url": url, "has_custom_certificate": False, "pending_update_count": 0,
                        "max_connections": int(params.get("max_connections") or 40)}
        if allowed is not None:
            self.webhook["allowed_updates"] = allowed
        self._webhook_secret = secret
        return _Answer(True, "Webhook was set")

    @staticmethod
    def _parse_webhook_url(url: str) -> Tuple[str, str, int] | None:
        """(scheme, host, port) the way the Bot API server's URL parser reads it, or None."""
        match = re.match(r"^(?:([A-Za-z][A-Za-z0-9+.-]*)://)?([^/?#]*)", url)
        if match is None:
            return None
        scheme = (match.group(1) or "https").lower()
        if scheme not in ("http", "https"):
            return None
        authority = match.group(2).rsplit("@", 1)[-1]
        if authority.startswith("["):
            host, _, rest = authority[1:].partition("]")
            port_text = rest[1:] if rest.startswith(":") else ""
            if rest and not rest.startswith(":"):
                return None
        else:
            host, _, port_text = authority.partition(":")
        if not host:
            return None
        if port_text:
            if not port_text.isdigit() or not 0 < int(port_text) < 65536:
                return None
            port = int(port_text)
        else:
            port = 443 if scheme == "https" else 80
        return scheme, host.lower(), port

    @staticmethod
    def _webhook_ip_problem(host: str) -> str | None:
        """Telegram resolves the host and refuses IPv6-only and reserved addresses.

        The fake resolves nothing: it checks IP literals and ``localhost``.
        """
        address_text = "127.0.0.1" if host == "localhost" else host
        try:
            address = ipaddress.ip_address(address_text)
        except ValueError:
            return None
        if address.version == 6:
            return "IPv6-only addresses are not allowed"
        if (address.is_private or address.is_loopback or address.is_reserved
                or address.is_link_local or address.is_multicast or address.is_unspecified):
            return f"IP address {address} is reserved"
        return None

    def m_getwebhookinfo(self, params: Dict[str, Any]) -> Any:
        return dict(self.webhook)

    def m_deletewebhook(self, params: Dict[str, Any]) -> Any:
        was_set = bool(self.webhook["url"])
        self.webhook = {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        self._webhook_secret = ""
        return _Answer(True, "Webhook was deleted" if was_set else "Webhook is already deleted")

    def m_sendmessage(self, params: Dict[str, Any]) -> Any:
        raw = self._raw_text(params)
        markup = self._markup(params)
        chat_id = self._chat_id(params.get("chat_id"))
        self._check_can_send(chat_id)
        text = self._stored_text(raw)
        self._check_callback_data(markup)
        message: Dict[str, Any] = {
            "message_id": next(self._message_ids),
            "from": self._bot_sender(),
            "chat": self._chat_object(chat_id),
            "date": int(time.time()),
            "text": text,
        }
        if markup and markup.get("inline_keyboard"):
            message["reply_markup"] = {"inline_keyboard": markup["inline_keyboard"]}
        with self._lock:
            self.messages[(chat_id, message["message_id"])] = {"message": message,
                                                               "by_bot": True}
        return message

    def m_answercallbackquery(self, params: Dict[str, Any]) -> Any:
        query_id = str(params.get("callback_query_id") or "")
        with self._lock:
            issued = self._callback_queries.get(query_id)
        if issued is None or issued[1] or (
                self.callback_query_ttl_s is not None
                and time.monotonic() - issued[0] > self.callback_query_ttl_s):
            raise _bad(QUERY_ID_INVALID)
        return True

    def _message_to_edit(self, params: Dict[str, Any]) -> Tuple[Tuple[int, int], Dict[str, Any]]:
        try:
            message_id = int(str(params.get("message_id") or 0))
        except ValueError:
            message_id = 0
        if message_id <= 0:  # also without chat_id: an inline_message_id is then required
            raise _bad("message identifier is not specified")
        chat_id = self._chat_id(params.get("chat_id"))
        with self._lock:
            stored = self.messages.get((chat_id, message_id))
        if stored is None:
            raise _bad("message to edit not found")
        if not stored["by_bot"]:
            raise _bad("message can't be edited")
        return (chat_id, message_id), stored

    def _store_edit(self, key: Tuple[int, int], message: Dict[str, Any],
                    text: str, markup: Dict[str, Any] | None) -> Dict[str, Any]:
        edited = {k: v for k, v in message.items() if k != "reply_markup"}
        edited["text"] = text
        edited["edit_date"] = int(time.time())
        if markup and markup.get("inline_keyboard"):
            edited["reply_markup"] = {"inline_keyboard": markup["inline_keyboard"]}
        with self._lock:
            self.messages[key] = {"message": edited, "by_bot": True}
        return edited

    def m_editmessagetext(self, params: Dict[str, Any]) -> Any:
        raw = self._raw_text(params)
        markup = self._markup(params)
        key, stored = self._message_to_edit(params)
        text = self._stored_text(raw)
        self._check_callback_data(markup)
        message = stored["message"]
        if text == message.get("text") and _markup_key(markup) == _markup_key(
                message.get("reply_markup")):
            raise _bad(NOT_MODIFIED)
        return self._store_edit(key, message, text, markup)

    def m_editmessagereplymarkup(self, params: Dict[str, Any]) -> Any:
        markup = self._markup(params)
        key, stored = self._message_to_edit(params)
        self._check_callback_data(markup)
        message = stored["message"]
        if _markup_key(markup) == _markup_key(message.get("reply_markup")):
            raise _bad(NOT_MODIFIED)
        return self._store_edit(key, message, str(message.get("text") or ""), markup)


# --------------------------------------------------------------------------- Slack

SLACK_BLOCK_TYPES = {"section", "actions", "context", "divider", "header", "image", "input",
                     "rich_text", "markdown", "file", "video"}
SLACK_CHANNEL_ID = re.compile(r"^[CDG][A-Z0-9]+$")
SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]+$")
SLACK_ICON = "https://a.slack-edge.com/80588/img/plugins/app/{}.png"


class _SlackError(Exception):
    def __init__(self, error: str, messages: List[str] | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.messages = messages or []


def _block_id() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(5))


class FakeSlack(FakeAPI):
    """The Web API: ``/api/<method>`` answering ``{"ok": true, ...}`` or an ``error``.

    Every well-formed channel id is a channel the bot is in, unless a test says
    otherwise (``archive``, ``leave``, ``forget_channel``); posting to a user
    id posts in the DM with that user (``D`` + the id without its ``U``).
    """

    def __init__(self, token: str, bot_user_id: str = "U0BOTUSER1", bot_id: str = "B0BOTAPP1",
                 team_id: str = "T0HEAVYLEG", app_id: str = "A0HEAVYLEG",
                 bot_name: str = "heavylegs", *, max_text_chars: int | None = 4000,
                 edit_window_s: float | None = None) -> None:
        super().__init__()
        self.token = token
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.team_id = team_id
        self.app_id = app_id
        self.bot_name = bot_name
        self.max_text_chars = max_text_chars
        self.edit_window_s = edit_window_s
        self._ts = itertools.count(1)
        self._profile_updated = int(time.time()) - 86400
        # (channel, ts) -> {"message": message, "author": user id, "posted": time}
        self.messages: Dict[Tuple[str, str], Dict[str, Any]] = {}
        self.archived: Set[str] = set()
        self.not_member: Set[str] = set()
        self.missing: Set[str] = set()

    # ------------------------------------------------------------ test controls

    def archive(self, channel: str) -> None:
        with self._lock:
            self.archived.add(channel)

    def leave(self, channel: str) -> None:
        """The bot is not (or no longer) a member of ``channel``."""
        with self._lock:
            self.not_member.add(channel)

    def forget_channel(self, channel: str) -> None:
        """A channel that does not exist (or the bot cannot see)."""
        with self._lock:
            self.missing.add(channel)

    def user_message(self, channel: str, user: str, text: str) -> Dict[str, Any]:
        """A message a person wrote in ``channel``; the bot may see it but not update it."""
        ts = self._next_ts()
        message = {"client_msg_id": secrets.token_hex(16), "type": "message", "text": text,
                   "user": user, "ts": ts, "blocks": [self._text_block(text)],
                   "team": self.team_id}
        with self._lock:
            self.messages[(channel, ts)] = {"message": message, "author": user,
                                            "posted": time.time()}
        return message

    def posts(self, channel: str, since: int = 0) -> List[Call]:
        return [call for call in self.calls_to("chat.postMessage", since, channel=channel)
                if call.ok]

    def posted_texts(self, channel: str, since: int = 0) -> List[str]:
        return [str(call.params.get("text")) for call in self.posts(channel, since)]

    # ------------------------------------------------------------ HTTP

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def app(self) -> web.Application:
        application = web.Application()
        application.router.add_post("/api/{method}", self.handle)
        return application

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _params(request)
        _json_field(params, "blocks")
        authorization = request.headers.get("Authorization", "")
        token = authorization[len("Bearer "):] if authorization.startswith("Bearer ") \
            else params.get("token")
        if not token:
            return self._error(method, params, _SlackError("not_authed"))
        if token != self.token:
            return self._error(method, params, _SlackError("invalid_auth"))
        handler = getattr(self, "m_" + method.replace(".", "_").lower(), None)
        if handler is None:
            return self._error(method, params, _SlackError("unknown_method"))
        retry_after = self._take_rate_limit(method)
        if retry_after is not None:
            self.record(method, params, False, "ratelimited")
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                     headers={"Retry-After": str(retry_after)})
        try:
            result = handler(params)
        except _SlackError as error:
            return self._error(method, params, error)
        self.record(method, params, True, result)
        body: Dict[str, Any] = {"ok": True, **result}
        warning = self._charset_warning(request)
        if warning:
            body["warning"] = warning
            body["response_metadata"] = {"warnings": [warning]}
        return web.json_response(body)

    @staticmethod
    def _charset_warning(request: web.Request) -> str | None:
        header = request.headers.get("Content-Type", "").lower()
        has_charset = "charset=" in header
        if request.content_type == "application/json" and not has_charset:
            return "missing_charset"
        if request.content_type == "application/x-www-form-urlencoded" and has_charset:
            return "superfluous_charset"
        return None

    def _error(self, method: str, params: Dict[str, Any], error: _SlackError) -> web.Response:
        self.record(method, params, False, error.error)
        body: Dict[str, Any] = {"ok": False, "error": error.error}
        if error.messages:
            body["response_metadata"] = {"messages": [f"[ERROR] {message}"
                                                      for message in error.messages]}
        return web.json_response(body)

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    # ------------------------------------------------------------ checks

    def _channel(self, raw: Any, allow_user: bool) -> str:
        """The conversation for ``channel`` (a user id means the DM with them)."""
        channel = str(raw or "")
        if allow_user and SLACK_USER_ID.match(channel):
            channel = "D" + channel[1:]
        with self._lock:
            missing = channel in self.missing
        if not SLACK_CHANNEL_ID.match(channel) or missing:
            raise _SlackError("channel_not_found")
        return channel

    def _check_text(self, params: Dict[str, Any]) -> str:
        text = params.get("text")
        text = "" if text is None else str(text)
        if not text and not params.get("blocks") and not params.get("attachments"):
            raise _SlackError("no_text")
        if self.max_text_chars is not None and len(text) > self.max_text_chars:
            raise _SlackError("msg_too_long")
        return text

    @staticmethod
    def _text_object(obj: Any, where: str, limit: int, problems: List[str],
                     plain_only: bool = False) -> Dict[str, Any]:
        types = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
        if not isinstance(obj, dict) or obj.get("type") not in types or \
                not isinstance(obj.get("text"), str):
            problems.append(f"failed to match all allowed schemas [json-pointer:{where}]")
            return obj if isinstance(obj, dict) else {}
        if not obj["text"]:
            problems.append(f"failed to match all allowed schemas [json-pointer:{where}]")
        if len(obj["text"]) > limit:
            problems.append(f"failed to match all allowed schemas [json-pointer:{where}]")
            problems.append(f"must be less than {limit + 1} characters "
                            f"[json-pointer:{where}/text]")
        normal = dict(obj)
        if normal["type"] == "plain_text":
            normal.setdefault("emoji", True)
        else:
            normal.setdefault("verbatim", False)
        return normal

    def _blocks(self, blocks: Any) -> List[Dict[str, Any]]:
        """Checked Block Kit blocks as Slack stores them (block_id and text flags added)."""
        if not isinstance(blocks, list):
            raise _SlackError("invalid_blocks_format")
        problems: List[str] = []
        if len(blocks) > 50:
            problems.append("no more than 50 items allowed [json-pointer:/blocks]")
        checked = []
        block_ids: Set[str] = set()
        action_ids: Set[str] = set()
        for number, block in enumerate(blocks):
            where = f"/blocks/{number}"
            if not isinstance(block, dict) or block.get("type") not in SLACK_BLOCK_TYPES:
                problems.append(f"failed to match all allowed schemas [json-pointer:{where}]")
                continue
            normal = dict(block)
            block_id = normal.get("block_id") or _block_id()
            if not isinstance(block_id, str) or len(block_id) > 255 or block_id in block_ids:
                problems.append(f"failed to match all allowed schemas "
                                f"[json-pointer:{where}/block_id]")
            block_ids.add(str(block_id))
            normal["block_id"] = block_id
            kind = normal["type"]
            if kind == "section":
                if "text" in normal or "fields" not in normal:
                    normal["text"] = self._text_object(normal.get("text"), f"{where}/text", 3000,
                                                       problems)
            elif kind == "header":
                normal["text"] = self._text_object(normal.get("text"), f"{where}/text", 150,
                                                   problems, plain_only=True)
            elif kind == "actions":
                normal["elements"] = self._action_elements(normal.get("elements"), where,
                                                           action_ids, problems)
            elif kind == "context":
                elements = normal.get("elements")
                if not isinstance(elements, list) or not 1 <= len(elements) <= 10:
                    problems.append(f"failed to match all allowed schemas "
                                    f"[json-pointer:{where}/elements]")
                else:
                    normal["elements"] = [
                        element if isinstance(element, dict) and element.get("type") == "image"
                        else self._text_object(element, f"{where}/elements/{index}", 3000,
                                               problems)
                        for index, element in enumerate(elements)]
            elif kind == "rich_text":
                if not isinstance(normal.get("elements"), list) or not normal["elements"]:
                    problems.append(f"failed to match all allowed schemas "
                                    f"[json-pointer:{where}/elements]")
            checked.append(normal)
        if problems:
            raise _SlackError("invalid_blocks", list(dict.fromkeys(problems)))
        return checked

    def _action_elements(self, elements: Any, where: str, action_ids: Set[str],
                         problems: List[str]) -> Any:
        if not isinstance(elements, list) or not 1 <= len(elements) <= 25:
            problems.append(f"failed to match all allowed schemas [json-pointer:{where}/elements]")
            return elements
        normal_elements = []
        for index, element in enumerate(elements):
            place = f"{where}/elements/{index}"
            if not isinstance(element, dict) or element.get("type") != "button":
                # The bot only sends buttons; other interactive elements are not modelled.
                normal_elements.append(element)
                if not isinstance(element, dict) or not element.get("type"):
                    problems.append(f"failed to match all allowed schemas [json-pointer:{place}]")
                continue
            normal = dict(element)
            normal["text"] = self._text_object(element.get("text"), f"{place}/text", 75,
                                               problems, plain_only=True)
            if len(str(element.get("value", ""))) > 2000:
                problems.append(f"must be less than 2001 characters [json-pointer:{place}/value]")
            if len(str(element.get("url", ""))) > 3000:
                problems.append(f"must be less than 3001 characters [json-pointer:{place}/url]")
            action_id = normal.setdefault("action_id", _block_id())
            if len(str(action_id)) > 255 or action_id in action_ids:
                problems.append(f"failed to match all allowed schemas "
                                f"[json-pointer:{place}/action_id]")
            action_ids.add(str(action_id))
            normal_elements.append(normal)
        return normal_elements

    @staticmethod
    def _text_block(text: str) -> Dict[str, Any]:
        """The rich_text block Slack adds to a message posted with text only."""
        return {"type": "rich_text", "block_id": _block_id(), "elements": [
            {"type": "rich_text_section", "elements": [
                {"type": "text", "text": html.unescape(text)}]}]}

    def _bot_message(self, text: str, blocks: List[Dict[str, Any]]) -> Dict[str, Any]:
        """A message posted with the bot token: no ``subtype``, ``bot_profile`` included."""
        return {
            "user": self.bot_user_id,
            "type": "message",
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "text": text,
            "team": self.team_id,
            "bot_profile": {
                "id": self.bot_id,
                "app_id": self.app_id,
                "user_id": self.bot_user_id,
                "name": self.bot_name,
                "icons": {"image_36": SLACK_ICON.format("bot_36"),
                          "image_48": SLACK_ICON.format("bot_48"),
                          "image_72": SLACK_ICON.format("service_72")},
                "deleted": False,
                "updated": self._profile_updated,
                "team_id": self.team_id,
            },
            "blocks": blocks,
        }

    # ------------------------------------------------------------ Web API methods

    def m_auth_test(self, params: Dict[str, Any]) -> Dict[str, Any]:
        return {"url": "https://heavy-legs.slack.com/", "team": "Heavy Legs",
                "user": self.bot_name, "team_id": self.team_id, "user_id": self.bot_user_id,
                "bot_id": self.bot_id, "is_enterprise_install": False}

    def m_chat_postmessage(self, params: Dict[str, Any]) -> Dict[str, Any]:
        channel = self._channel(params.get("channel"), allow_user=True)
        with self._lock:
            archived = channel in self.archived
            not_member = channel in self.not_member
        if archived:
            raise _SlackError("is_archived")
        if not_member:
            raise _SlackError("not_in_channel")
        if _truthy(params.get("as_user")):
            raise _SlackError("as_user_not_supported")
        text = self._check_text(params)
        if params.get("blocks") is not None:
            blocks = self._blocks(params["blocks"])
        elif params.get("attachments"):
            blocks = []
        else:
            blocks = [self._text_block(text)]
        ts = self._next_ts()
        message = self._bot_message(text, blocks)
        message["ts"] = ts
        if not message["blocks"]:
            del message["blocks"]
        if params.get("thread_ts"):
            message["thread_ts"] = str(params["thread_ts"])
            with self._lock:
                parent = self.messages.get((channel, message["thread_ts"]))
            if parent is not None:
                message["parent_user_id"] = parent["author"]
        with self._lock:
            self.messages[(channel, ts)] = {"message": message, "author": self.bot_user_id,
                                            "posted": time.time(),
                                            "text_blocks": params.get("blocks") is None}
        return {"channel": channel, "ts": ts, "message": message}

    def m_chat_update(self, params: Dict[str, Any]) -> Dict[str, Any]:
        channel = self._channel(params.get("channel"), allow_user=False)
        ts = str(params.get("ts") or "")
        with self._lock:
            stored = self.messages.get((channel, ts))
            archived = channel in self.archived
        if stored is None:
            raise _SlackError("message_not_found")
        if stored["author"] != self.bot_user_id:
            raise _SlackError("cant_update_message")
        if archived:
            raise _SlackError("is_inactive")
        if self.edit_window_s is not None and time.time() - stored["posted"] > self.edit_window_s:
            raise _SlackError("edit_window_closed")
        text = self._check_text(params)
        old = stored["message"]
        text_blocks = stored.get("text_blocks", False)
        if params.get("blocks") is not None:
            blocks = self._blocks(params["blocks"])
            had_rich_text = any(block.get("type") == "rich_text"
                                for block in old.get("blocks") or [])
            if had_rich_text and not any(block.get("type") == "rich_text" for block in blocks):
                raise _SlackError("block_mismatch")
            text_blocks = False
        elif text_blocks:
            blocks = [self._text_block(text)]
        else:
            blocks = list(old.get("blocks") or [])
        message = self._bot_message(text, blocks)
        if not message["blocks"]:
            del message["blocks"]
        stored_message = dict(message, ts=ts)
        if old.get("thread_ts"):
            stored_message["thread_ts"] = old["thread_ts"]
        with self._lock:
            self.messages[(channel, ts)] = {"message": stored_message,
                                            "author": self.bot_user_id,
                                            "posted": stored["posted"],
                                            "text_blocks": text_blocks}
        return {"channel": channel, "ts": ts, "text": text, "message": message}

"""Local stand-ins for the Telegram Bot API and the Slack Web API.

Each fake is a real aiohttp server on 127.0.0.1 (a free port, in a thread of
its own) that answers with the payload shapes of the real API, checks the
arguments the real API checks (token, required fields, text and button
limits, Block Kit shapes) and records every call the bot makes.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, List

from aiohttp import web


@dataclass
class Call:
    """One API call the bot made: the method, its arguments and what the fake answered."""

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


async def _params(request: web.Request) -> Dict[str, Any]:
    """Arguments from the query string, a JSON body or a form body (all APIs accept them)."""
    params: Dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        body = await request.json()
        if isinstance(body, dict):
            params.update(body)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        params.update({key: value for key, value in form.items() if isinstance(value, str)})
    return params


# --------------------------------------------------------------------------- Telegram

TELEGRAM_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class FakeTelegram(FakeAPI):
    """The Bot API: ``/bot<token>/<method>`` answering ``{"ok": ..., "result": ...}``."""

    def __init__(self, token: str, username: str = "heavy_legs_test_bot") -> None:
        super().__init__()
        self.token = token
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
        self._message_ids = itertools.count(100)

    def app(self) -> web.Application:
        application = web.Application()
        application.router.add_route("*", "/bot{token}/{method}", self.handle)
        return application

    def sent_texts(self, chat_id: int | str, since: int = 0) -> List[str]:
        return [str(call.params.get("text")) for call in
                self.calls_to("sendMessage", since, chat_id=chat_id) if call.ok]

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _params(request)
        for key in ("reply_markup", "allowed_updates"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        if request.match_info["token"] != self.token:
            return self._error(method, params, 401, "Unauthorized")
        handler = getattr(self, "m_" + method.lower(), None)
        if handler is None:
            return self._error(method, params, 404, "Not Found")
        try:
            result = handler(params)
        except _BadRequest as error:
            return self._error(method, params, 400, f"Bad Request: {error}")
        self.record(method, params, True, result)
        return web.json_response({"ok": True, "result": result})

    def _error(self, method: str, params: Dict[str, Any], code: int, text: str) -> web.Response:
        self.record(method, params, False, text)
        return web.json_response({"ok": False, "error_code": code, "description": text},
                                 status=code)

    # Bot API methods (names are case-insensitive there too)

    def m_getme(self, params: Dict[str, Any]) -> Any:
        return self.bot_user

    def m_setwebhook(self, params: Dict[str, Any]) -> Any:
        if "url" not in params:
            raise _BadRequest("bad webhook: URL must be provided")
        secret = params.get("secret_token")
        if secret is not None and not TELEGRAM_SECRET.match(str(secret)):
            raise _BadRequest("bad webhook: secret token contains unallowed characters")
        self.webhook.update(url=params["url"],
                            allowed_updates=params.get("allowed_updates"))
        return True

    def m_getwebhookinfo(self, params: Dict[str, Any]) -> Any:
        return {key: value for key, value in self.webhook.items() if value is not None}

    def m_deletewebhook(self, params: Dict[str, Any]) -> Any:
        self.webhook["url"] = ""
        return True

    def _message(self, chat_id: Any, text: str, reply_markup: Any = None,
                 message_id: int | None = None) -> Dict[str, Any]:
        try:
            chat = {"id": int(chat_id), "type": "private", "first_name": "Runner"}
        except (TypeError, ValueError):
            raise _BadRequest("chat not found") from None
        message = {
            "message_id": message_id or next(self._message_ids),
            "from": self.bot_user,
            "chat": chat,
            "date": int(time.time()),
            "text": text,
        }
        if isinstance(reply_markup, dict) and "inline_keyboard" in reply_markup:
            message["reply_markup"] = reply_markup
        return message

    @staticmethod
    def _check_text(params: Dict[str, Any]) -> str:
        text = str(params.get("text") or "")
        if not text.strip():
            raise _BadRequest("message text is empty")
        if len(text) > 4096:
            raise _BadRequest("message is too long")
        return text

    @staticmethod
    def _check_markup(markup: Any) -> None:
        if markup is None:
            return
        if not isinstance(markup, dict):
            raise _BadRequest("can't parse reply keyboard markup JSON object")
        rows = markup.get("inline_keyboard")
        if rows is None:
            return
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _BadRequest("field \"inline_keyboard\" must be an Array of Array")
        for key in (key for row in rows for key in row):
            if not isinstance(key, dict) or not key.get("text"):
                raise _BadRequest("text buttons are unallowed in the inline keyboard")
            data = key.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode("utf-8")) <= 64:
                raise _BadRequest("BUTTON_DATA_INVALID")

    def m_sendmessage(self, params: Dict[str, Any]) -> Any:
        if "chat_id" not in params:
            raise _BadRequest("chat_id is empty")
        text = self._check_text(params)
        self._check_markup(params.get("reply_markup"))
        return self._message(params["chat_id"], text, params.get("reply_markup"))

    def m_answercallbackquery(self, params: Dict[str, Any]) -> Any:
        if not params.get("callback_query_id"):
            raise _BadRequest("query is too old and response timeout expired or query ID is "
                              "invalid")
        return True

    def m_editmessagetext(self, params: Dict[str, Any]) -> Any:
        if not params.get("chat_id") or not params.get("message_id"):
            raise _BadRequest("message to edit not found")
        text = self._check_text(params)
        self._check_markup(params.get("reply_markup"))
        return self._message(params["chat_id"], text, params.get("reply_markup"),
                             int(params["message_id"]))

    def m_editmessagereplymarkup(self, params: Dict[str, Any]) -> Any:
        if not params.get("chat_id") or not params.get("message_id"):
            raise _BadRequest("message to edit not found")
        self._check_markup(params.get("reply_markup"))
        return self._message(params["chat_id"], "(unchanged)", params.get("reply_markup"),
                             int(params["message_id"]))


class _BadRequest(Exception):
    pass


# --------------------------------------------------------------------------- Slack

SLACK_BLOCK_TYPES = {"section", "actions", "context", "divider", "header", "image", "input",
                     "rich_text"}


class _SlackError(Exception):
    pass


class FakeSlack(FakeAPI):
    """The Web API: ``/api/<method>`` answering ``{"ok": true, ...}`` or an ``error``."""

    def __init__(self, token: str, bot_user_id: str = "U0BOTUSER1", bot_id: str = "B0BOTAPP1",
                 team_id: str = "T0HEAVYLEG") -> None:
        super().__init__()
        self.token = token
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.team_id = team_id
        self._ts = itertools.count(1)

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def app(self) -> web.Application:
        application = web.Application()
        application.router.add_post("/api/{method}", self.handle)
        return application

    def posts(self, channel: str, since: int = 0) -> List[Call]:
        return [call for call in self.calls_to("chat.postMessage", since, channel=channel)
                if call.ok]

    def posted_texts(self, channel: str, since: int = 0) -> List[str]:
        return [str(call.params.get("text")) for call in self.posts(channel, since)]

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _params(request)
        if isinstance(params.get("blocks"), str):
            params["blocks"] = json.loads(params["blocks"])
        authorization = request.headers.get("Authorization", "")
        token = authorization[len("Bearer "):] if authorization.startswith("Bearer ") \
            else params.get("token")
        if not token:
            return self._error(method, params, "not_authed")
        if token != self.token:
            return self._error(method, params, "invalid_auth")
        handler = getattr(self, "m_" + method.replace(".", "_").lower(), None)
        if handler is None:
            return self._error(method, params, "unknown_method")
        try:
            result = handler(params)
        except _SlackError as error:
            return self._error(method, params, str(error))
        self.record(method, params, True, result)
        return web.json_response({"ok": True, **result})

    def _error(self, method: str, params: Dict[str, Any], error: str) -> web.Response:
        self.record(method, params, False, error)
        return web.json_response({"ok": False, "error": error})

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    @staticmethod
    def _check_text_object(obj: Any, limit: int, plain_only: bool = False) -> None:
        if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
            raise _SlackError("invalid_blocks")
        if plain_only and obj["type"] != "plain_text":
            raise _SlackError("invalid_blocks")
        if not isinstance(obj.get("text"), str) or not 1 <= len(obj["text"]) <= limit:
            raise _SlackError("invalid_blocks")

    def _check_blocks(self, blocks: Any) -> List[Dict[str, Any]]:
        if not isinstance(blocks, list) or len(blocks) > 50:
            raise _SlackError("invalid_blocks_format")
        checked = []
        for number, block in enumerate(blocks):
            if not isinstance(block, dict) or block.get("type") not in SLACK_BLOCK_TYPES:
                raise _SlackError("invalid_blocks")
            if block["type"] == "section":
                self._check_text_object(block.get("text"), 3000)
            if block["type"] == "actions":
                elements = block.get("elements")
                if not isinstance(elements, list) or not 1 <= len(elements) <= 25:
                    raise _SlackError("invalid_blocks")
                action_ids = set()
                for element in elements:
                    if not isinstance(element, dict) or element.get("type") != "button":
                        raise _SlackError("invalid_blocks")
                    self._check_text_object(element.get("text"), 75, plain_only=True)
                    if "value" in element and len(str(element["value"])) > 2000:
                        raise _SlackError("invalid_blocks")
                    action_id = element.get("action_id")
                    if action_id in action_ids:
                        raise _SlackError("invalid_blocks")
                    action_ids.add(action_id)
            if block["type"] == "context":
                elements = block.get("elements")
                if not isinstance(elements, list) or not elements:
                    raise _SlackError("invalid_blocks")
                for element in elements:
                    self._check_text_object(element, 3000)
            checked.append({"block_id": block.get("block_id") or f"b{number}", **block})
        return checked

    def _message(self, params: Dict[str, Any], ts: str) -> Dict[str, Any]:
        message = {
            "type": "message",
            "subtype": "bot_message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": "A0HEAVYLEG",
            "team": self.team_id,
            "text": params.get("text") or "",
            "ts": ts,
        }
        if params.get("blocks") is not None:
            message["blocks"] = self._check_blocks(params["blocks"])
        if params.get("thread_ts"):
            message["thread_ts"] = params["thread_ts"]
        return message

    # Web API methods

    def m_auth_test(self, params: Dict[str, Any]) -> Dict[str, Any]:
        return {"url": "https://heavy-legs.slack.com/", "team": "Heavy Legs", "user": "heavylegs",
                "team_id": self.team_id, "user_id": self.bot_user_id, "bot_id": self.bot_id,
                "is_enterprise_install": False}

    def m_chat_postmessage(self, params: Dict[str, Any]) -> Dict[str, Any]:
        if not params.get("channel"):
            raise _SlackError("channel_not_found")
        if not params.get("text") and not params.get("blocks"):
            raise _SlackError("no_text")
        if len(str(params.get("text") or "")) > 40000:
            raise _SlackError("msg_too_long")
        ts = self._next_ts()
        return {"channel": params["channel"], "ts": ts, "message": self._message(params, ts)}

    def m_chat_update(self, params: Dict[str, Any]) -> Dict[str, Any]:
        if not params.get("channel"):
            raise _SlackError("channel_not_found")
        if not params.get("ts"):
            raise _SlackError("message_not_found")
        if not params.get("text") and not params.get("blocks"):
            raise _SlackError("no_text")
        message = self._message(params, str(params["ts"]))
        return {"channel": params["channel"], "ts": params["ts"], "text": message["text"],
                "message": message}

"""A socket.io client that talks to Rasa like the chat page does, for sync tests.

python-socketio 5.9's own ``AsyncClient`` needs a newer aiohttp than Rasa 3.6
pins (engine.io's client uses ``aiohttp.ClientWSTimeout``, missing in 3.9), so
this speaks the wire protocol itself over aiohttp's websocket client: engine.io
4 (``0`` open, ``2``/``3`` ping/pong) and socket.io 5 (``40`` connect, ``42``
events as JSON arrays), exactly what socket.io-client 4 sends. It runs on an
event loop in a background thread; the methods here block until done.

Conversation tokens (bot.security.session_ids): the page keeps the token of each
conversation the server confirmed and adds it to every event it emits for that
conversation (unless the event data says ``session_token`` itself). To ask for a
conversation of its own choosing, as tests do, it signs the id with the bot's
secret (``bot.servers.session_secret_for``, or ``secret=``), like a page that
was issued that id; ``request_session(id, token=None)`` asks without a token.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any, Dict, List

import aiohttp

from bot.security.session_ids import SessionSigner
from bot.servers import session_secret_for

USER_EVENT = "user_uttered"
BOT_EVENT = "bot_uttered"
SIGN = object()  # request_session's default: sign the id with the bot's secret


class ChatPage:
    """One browser tab: ``session_request`` with its id, then ``user_uttered`` messages."""

    def __init__(self, base_url: str, secret: str | None = None) -> None:
        self.base_url = base_url
        self.secret = secret or session_secret_for(base_url)
        self.received: List[Dict[str, Any]] = []
        self.confirmed: List[Any] = []
        self.tokens: Dict[str, str] = {}  # conversation id -> its token, as confirmed
        self.connected = False
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="ChatPage",
                                        daemon=True)
        self._thread.start()
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task | None = None

    async def _connect(self) -> None:
        url = (self.base_url.replace("http://", "ws://")
               + "/socket.io/?EIO=4&transport=websocket")
        self._session = aiohttp.ClientSession()
        self._ws = await self._session.ws_connect(url, timeout=10)
        opened = await self._ws.receive(timeout=10)
        assert opened.type == aiohttp.WSMsgType.TEXT and opened.data.startswith("0{"), opened
        await self._ws.send_str("40")
        joined = await self._ws.receive(timeout=10)
        assert joined.type == aiohttp.WSMsgType.TEXT and joined.data.startswith("40"), joined
        self.connected = True
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        assert self._ws is not None
        async for message in self._ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            data = message.data
            if data == "2":
                await self._ws.send_str("3")
            elif data.startswith("41"):
                break
            elif data.startswith("42"):
                event, *args = json.loads(data[2:])
                with self._lock:
                    if event == BOT_EVENT:
                        self.received.append(args[0] if args else {})
                    elif event == "session_confirm":
                        confirmed = args[0] if args else None
                        self.confirmed.append(confirmed)
                        if isinstance(confirmed, dict) and isinstance(
                                confirmed.get("session_id"), str):
                            self.tokens[confirmed["session_id"]] = confirmed.get(
                                "session_token")
        self.connected = False

    async def _emit(self, event: str, data: Any) -> None:
        assert self._ws is not None
        if (isinstance(data, dict) and "session_token" not in data
                and isinstance(data.get("session_id"), str)
                and data["session_id"] in self.tokens):
            data = {**data, "session_token": self.tokens[data["session_id"]]}
        args = list(data) if isinstance(data, tuple) else [] if data is None else [data]
        await self._ws.send_str("42" + json.dumps([event, *args]))

    async def _close(self) -> None:
        if self._ws is not None and not self._ws.closed:
            await self._ws.close()
        if self._reader is not None:
            await asyncio.wait([self._reader], timeout=5)
        if self._session is not None:
            await self._session.close()

    def _run(self, coroutine: Any, timeout: float = 30.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def connect(self) -> "ChatPage":
        self._run(self._connect())
        return self

    def token_for(self, session_id: str) -> str:
        """A valid token for ``session_id``, made with the bot's secret."""
        assert self.secret, f"no session secret known for {self.base_url}"
        return SessionSigner(self.secret.encode()).token_for(session_id)

    def request_session(self, session_id: Any, token: Any = SIGN,
                        timeout: float = 15.0) -> str:
        """Ask for the conversation ``session_id`` (signed with the bot's secret unless
        ``token`` is given; ``None`` sends none); return the id the server confirmed."""
        if token is SIGN:
            token = None
            if isinstance(session_id, str) and self.secret:
                try:
                    token = self.token_for(session_id)
                except UnicodeEncodeError:  # a lone surrogate: ask without a token
                    pass
        count = len(self.confirmed)
        self._run(self._emit("session_request",
                             {"session_id": session_id, "session_token": token}))
        deadline = time.monotonic() + timeout
        while len(self.confirmed) == count:
            if time.monotonic() > deadline:
                raise AssertionError("no session_confirm")
            time.sleep(0.05)
        confirmed = self.confirmed[-1]
        return confirmed.get("session_id") if isinstance(confirmed, dict) else confirmed

    def mark(self) -> int:
        with self._lock:
            return len(self.received)

    def emit(self, data: Any = None, event: str = USER_EVENT) -> None:
        """Emit ``event`` with ``data`` (a tuple is several arguments, None none)."""
        self._run(self._emit(event, data))

    def texts_since(self, since: int, count: int = 1, quiet: float = 1.5,
                    timeout: float = 90.0) -> List[str]:
        """Wait for at least ``count`` bot messages after ``since``, then for ``quiet``
        seconds without another; return their texts."""
        deadline = time.monotonic() + timeout
        last_count, last_change = -1, time.monotonic()
        while True:
            with self._lock:
                got = [m.get("text", "") for m in self.received[since:]]
            now = time.monotonic()
            if len(got) != last_count:
                last_count, last_change = len(got), now
            if len(got) >= count and now - last_change >= quiet:
                return got
            if now > deadline:
                raise AssertionError(f"expected {count} bot message(s), got {got}")
            time.sleep(0.05)

    def say(self, text: str, session_id: str, count: int = 1, quiet: float = 1.5
            ) -> List[str]:
        since = self.mark()
        self.emit({"message": text, "session_id": session_id})
        return self.texts_since(since, count=count, quiet=quiet)

    def close(self) -> None:
        try:
            self._run(self._close())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)


async def _raw_socket(base_url: str, frames: List[str], wait: float) -> List[str]:
    """Open a raw engine.io websocket, join namespace "/", send ``frames``; return replies
    (a closed connection shows as ``<CLOSE>``, ``<CLOSED>`` or ``<ERROR>``)."""
    url = base_url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    replies: List[str] = []
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(url, timeout=10) as ws:
            replies.append((await ws.receive(timeout=10)).data)  # engine.io open
            await ws.send_str("40")  # socket.io connect to "/"
            replies.append((await ws.receive(timeout=10)).data)
            for frame in frames:
                await ws.send_str(frame)
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and not ws.closed:
                try:
                    message = await ws.receive(timeout=max(0.1, deadline - time.monotonic()))
                except asyncio.TimeoutError:
                    break
                if message.type == aiohttp.WSMsgType.TEXT:
                    if message.data == "2":  # engine.io ping
                        await ws.send_str("3")
                    replies.append(message.data)
                else:  # CLOSE, CLOSED, ERROR
                    replies.append(f"<{message.type.name}>")
                    break
    return replies


def raw_socket(base_url: str, frames: List[str], wait: float = 2.0) -> List[str]:
    """Blocking form of :func:`_raw_socket`."""
    return asyncio.run(_raw_socket(base_url, frames, wait))

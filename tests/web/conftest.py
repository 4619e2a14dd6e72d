"""Fixtures for the chat page tests: the real bot with the socket.io channel, the
real page server, a TCP relay that can cut the line, and Debian's headless Chromium
driven by Playwright."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List

import pytest

from bot.servers import ROOT, RunningBot, free_port, running_bot, stop_processes, wait_for

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
BUILT_PAGE = ROOT / "build" / "web" / "index.html"

# What credentials.yml holds for the page (docs/web.md): Rasa's socket.io channel,
# answering through bot.web.channel so that response metadata reaches the page.
SOCKETIO_CREDENTIALS = """\
rest:
bot.web.channel.SocketIOInput:
  user_message_evt: user_uttered
  bot_message_evt: bot_uttered
  session_persistence: true
"""


@dataclass
class PageServer:
    url: str
    origin: str
    rasa_url: str


@dataclass
class Stack:
    bot: RunningBot
    page: PageServer  # the page, talking to Rasa directly
    relayed_page: PageServer  # the same page, talking to Rasa through `relay`
    relay: "Relay"


class Relay:
    """A TCP relay between the browser and Rasa whose line can be cut and restored."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._connections: List[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """Stop listening and drop every open connection, as a server going away."""
        listener, self._listener = self._listener, None
        if listener is not None:
            try:
                listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() thread on Linux
            except OSError:
                pass
            listener.close()
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._connections += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for conn in (source, sink):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


@contextmanager
def page_server(port: int, rasa_url: str, log: Path) -> Iterator[PageServer]:
    """``python -m bot.web.serve`` as `make run` starts it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.web.serve", "--port", str(port), "--rasa-url", rasa_url],
        cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_for(url, process, log, timeout=60)
        yield PageServer(url=url, origin=f"http://127.0.0.1:{port}", rasa_url=rasa_url)
    finally:
        stop_processes([process])


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not BUILT_PAGE.is_file():
        subprocess.run(["scripts/build_web.sh"], cwd=ROOT, check=True)
    workdir = tmp_path_factory.mktemp("web")
    credentials = workdir / "credentials.yml"
    credentials.write_text(SOCKETIO_CREDENTIALS)
    page_port, relayed_page_port = free_port(), free_port()
    # Rasa's --cors: the page's origin(s), nothing else.
    origins = [f"http://127.0.0.1:{page_port}", f"http://127.0.0.1:{relayed_page_port}"]
    with running_bot(workdir / "bot", token=secrets.token_hex(16), credentials=credentials,
                     extra_args=["--cors", *origins]) as bot:
        relay = Relay(int(bot.url.rsplit(":", 1)[1]))
        relay.start()
        with page_server(page_port, bot.url, workdir / "page.log") as page, \
                page_server(relayed_page_port, f"http://127.0.0.1:{relay.port}",
                            workdir / "relayed-page.log") as relayed_page:
            yield Stack(bot=bot, page=page, relayed_page=relayed_page, relay=relay)
        relay.cut()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context(browser):
    """A fresh browser profile (empty localStorage) per test, at desktop size."""
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(30_000)
    yield context
    context.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    page.errors = []  # uncaught page errors, checked by the tests
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    return page


def screenshot(page, name: str, viewport: dict) -> Path:
    """Save the page as the runner sees it at ``viewport`` size under artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size(viewport)
    page.wait_for_timeout(300)  # let the layout and scroll position settle
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def tracker(bot: RunningBot, conversation_id: str) -> dict:
    url = f"{bot.url}/conversations/{conversation_id}/tracker?token={bot.token}"
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def wait_until(predicate, timeout: float = 30.0, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)

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
    hosts: "HostSite"  # other sites embedding the widget, on the allow-list
    stranger: "HostSite"  # a site that is not on the allow-list


# A host page's hostile global CSS (issue 15): resets, hidden buttons, huge fonts.
HOSTILE_CSS = """
* { all: revert; }
html { font-size: 48px !important; }
body { font: 40px/3 "Comic Sans MS", cursive; color: #ff00ff; background: #ffff00; }
button { display: none !important; }
div, section, form, input, p, ol, li, span { color: lime !important; padding: 30px; }
*, *::before, *::after { box-sizing: content-box !important; transition: none; }
heavy-legs-chat { display: none; opacity: 0.1; transform: scale(0.2); }
"""


class HostSite:
    """A web site on its own origin that embeds the widget, as a club's or a shop's would.

    Pages (``/plain``, ``/csp``, ``/hostile``, ``/manual``) embed ``widget.js`` from the
    page server with one script tag; ``/csp`` is served with a strict
    Content-Security-Policy that allows only the sources docs/web.md lists.
    """

    def __init__(self, widget_base: str, rasa_url: str) -> None:
        self.widget_base = widget_base
        self.rasa_url = rasa_url
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        self._server: object | None = None

    def page(self, name: str) -> str:
        return f"{self.origin}/{name}"

    def csp(self) -> str:
        widget = self.widget_base.rstrip("/")
        rasa = self.rasa_url
        return (f"default-src 'none'; script-src {widget}; style-src {widget}; "
                f"connect-src {widget} {rasa} {rasa.replace('http', 'ws', 1)}; "
                "img-src 'self'; base-uri 'none'; form-action 'none'; "
                "require-trusted-types-for 'script'")

    def html(self, name: str) -> tuple[str, dict]:
        tag = (f'<script src="{self.widget_base}widget.js" async '
               f'data-rasa-url="{self.rasa_url}"></script>')
        head, headers = "", {}
        if name == "csp":
            headers["Content-Security-Policy"] = self.csp()
        elif name == "hostile":
            head = f"<style>{HOSTILE_CSS}</style>"
        elif name == "manual":
            # window.HeavyLegs.init({...}) instead of data attributes.
            tag = (f'<script id="w" src="{self.widget_base}widget.js" async '
                   'data-init="manual"></script>'
                   "<script>document.getElementById('w').addEventListener('load', function () {"
                   f"HeavyLegs.init({{rasaUrl: '{self.rasa_url}', title: 'Physio chat', "
                   "color: '#6a1b9a', position: 'left', greeting: 'Hello from the clinic.', "
                   "suggestions: ['My shins ache', 'Heavy legs'], open: true});"
                   "});</script>")
        elif name == "globals":
            # Records the page's globals before the widget loads (no CSP on this page).
            head = "<script>window.__before = Object.getOwnPropertyNames(window);</script>"
        elif name != "plain":
            return "", {}
        articles = "".join(
            f"<h2>Club news {i}</h2><p>Saturday's parkrun starts at nine. Bring a friend; "
            "the cafe opens after.</p><button>Join the club</button>" for i in range(1, 8))
        page = (f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
                "<meta name='viewport' content='width=device-width, initial-scale=1'>"
                f"<title>Riverside Runners: {name}</title>{head}</head><body>"
                f"<main><h1>Riverside Runners</h1>{articles}</main>{tag}</body></html>")
        return page, headers

    def start(self) -> None:
        import http.server

        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                page, headers = site.html(self.path.strip("/").split("?")[0])
                body = page.encode()
                self.send_response(200 if page else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: object) -> None:
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self._server = server

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()  # type: ignore[attr-defined]
            self._server.server_close()  # type: ignore[attr-defined]


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
def page_server(port: int, rasa_url: str, log: Path,
                env: dict[str, str] | None = None) -> Iterator[PageServer]:
    """``python -m bot.web.serve`` as `make run` starts it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.web.serve", "--port", str(port), "--rasa-url", rasa_url],
        cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
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
    hosts = HostSite(f"http://127.0.0.1:{page_port}/", "")
    stranger = HostSite(f"http://127.0.0.1:{page_port}/", "")
    # The allow-list as `make run` passes it (bot/web/origins.py): the page's own origin
    # in WEB_ORIGIN, the relayed page and the embedding site in ALLOWED_ORIGINS; Rasa's
    # --cors is the same list. The stranger's origin is on no list.
    allowed = {"WEB_ORIGIN": f"http://127.0.0.1:{page_port}",
               "ALLOWED_ORIGINS": f"http://127.0.0.1:{relayed_page_port}, {hosts.origin}"}
    origins = [allowed["WEB_ORIGIN"], f"http://127.0.0.1:{relayed_page_port}", hosts.origin]
    with running_bot(workdir / "bot", token=secrets.token_hex(16), credentials=credentials,
                     extra_args=["--cors", *origins], extra_env=allowed) as bot:
        hosts.rasa_url = stranger.rasa_url = bot.url
        relay = Relay(int(bot.url.rsplit(":", 1)[1]))
        relay.start()
        hosts.start()
        stranger.start()
        with page_server(page_port, bot.url, workdir / "page.log", allowed) as page, \
                page_server(relayed_page_port, f"http://127.0.0.1:{relay.port}",
                            workdir / "relayed-page.log", allowed) as relayed_page:
            yield Stack(bot=bot, page=page, relayed_page=relayed_page, relay=relay,
                        hosts=hosts, stranger=stranger)
        relay.cut()
        hosts.stop()
        stranger.stop()


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

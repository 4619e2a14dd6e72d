"""An action server that answers too slowly: the turn ends with the step-failed note,
and a warning sign still gets its escalation.

Rasa 3.6 waits 300 s for a custom action (``rasa.core.constants.DEFAULT_REQUEST_TIMEOUT``,
hard-coded; no environment variable or endpoints setting) and its timeout
(``asyncio.TimeoutError``) escaped the slot extraction step, failing the whole turn.
``bot.security.action_timeout`` (installed when the model loads, by ``EscalationPolicy``)
bounds the wait to ``ACTIONS_TIMEOUT`` seconds and turns the timeout into an ordinary
action failure. Here ``ACTIONS_TIMEOUT`` is ``TIMEOUT`` and the fake action server (a
thread on 127.0.0.1) takes ``SLOW`` seconds, longer than that.
"""

from __future__ import annotations

import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest

from bot.security.input import STEP_FAILED_NOTE
from bot.servers import RunningBot, free_port, running_bot
from tests.robustness.conftest import post_raw

TIMEOUT = 2  # seconds Rasa waits for an action in this test
SLOW = 8  # seconds the fake action server takes


class SlowActionServer:
    """Answers every action call with no events, but only after ``SLOW`` seconds."""

    def __init__(self, port: int) -> None:
        self.release = threading.Event()
        self.calls = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                server.calls += 1
                server.release.wait(SLOW)
                body = json.dumps({"events": [], "responses": []}).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # Rasa gave up and closed the connection

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    workdir = tmp_path_factory.mktemp("slow")
    port = free_port()
    slow = SlowActionServer(port)
    try:
        # The project's tracker store type, as in endpoints.yml and run.sh.
        with running_bot(workdir, with_actions=False, action_port=port,
                         tracker_store_url=f"sqlite:///{workdir / 'tracker.db'}",
                         extra_env={"ACTIONS_TIMEOUT": str(TIMEOUT)}) as running:
            yield running
        assert slow.calls > 0, "Rasa never called the slow action server"
    finally:
        slow.close()


def say(bot: RunningBot, text: str) -> tuple[str, float]:
    answer = post_raw(f"{bot.url}/webhooks/rest/webhook", json.dumps(
        {"sender": f"slow-{secrets.token_hex(4)}", "message": text}).encode(), timeout=90)
    assert answer.status == 200, answer.body[:300]
    return answer.texts(), answer.seconds


def test_slow_step_gets_the_note(bot: RunningBot) -> None:
    reply, seconds = say(bot, "my legs have felt really heavy on my runs for two weeks")
    assert STEP_FAILED_NOTE in reply
    assert "health professional" in reply and "emergency number" in reply
    # At least one action was waited for until the timeout; not Rasa's 5 minutes each.
    assert TIMEOUT <= seconds < 60


def test_escalation_still_comes_first(bot: RunningBot) -> None:
    reply, _ = say(bot, "my legs feel heavy and I have chest pain")
    assert "emergency number" in reply and STEP_FAILED_NOTE in reply
    assert reply.index("emergency number") < reply.index(STEP_FAILED_NOTE)

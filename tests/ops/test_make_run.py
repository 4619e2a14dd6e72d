"""`make run`'s supervision with the real servers (scripts/run.sh on free ports).

* a killed action server is logged (name, signal, restart count) and restarted, and while
  it is away the Rasa server still answers and a warning sign still escalates;
* the readiness check says 503 while the action server does not answer, 200 after;
* a killed chat-page server and a killed Rasa server come back, and a conversation goes
  on from where it was (it is in the database, not in the process);
* SIGTERM lets the turn in flight finish with all its messages, then everything stops.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest

from bot.servers import ROOT, free_port

STARTUP = 240.0


class MakeRun:
    def __init__(self, tmp: Path) -> None:
        self.rasa_port, self.actions_port, self.web_port = free_port(), free_port(), free_port()
        self.log_path = tmp / "run.log"
        env = dict(
            os.environ,
            RASA_PORT=str(self.rasa_port),
            ACTIONS_PORT=str(self.actions_port),
            WEB_PORT=str(self.web_port),
            DATABASE_URL=f"sqlite:///{tmp / 'tracker.db'}",
            ACTIONS_TOKEN=secrets.token_urlsafe(24),
            BOT_SESSION_SECRET=secrets.token_urlsafe(32),
            SHUTDOWN_GRACE="20",
            PYTHONUNBUFFERED="1",
        )
        self.process = subprocess.Popen(
            ["scripts/run.sh"],
            cwd=ROOT,
            env=env,
            stdout=self.log_path.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.url = f"http://127.0.0.1:{self.rasa_port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def supervisor_lines(self) -> List[str]:
        return [line for line in self.log().splitlines() if line.startswith("supervisor ")]

    def child_pid(self, name: str) -> int:
        for line in reversed(self.supervisor_lines()):
            if f": {name} started (pid " in line or f": {name} restarted (pid " in line:
                return int(line.split("(pid ")[1].split(")")[0].split(",")[0])
        raise AssertionError(f"no pid for {name} in:\n" + "\n".join(self.supervisor_lines()))

    def get(self, url: str, timeout: float = 10) -> Tuple[int, bytes]:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as reply:
                return reply.status, reply.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return 0, b""

    def ready(self) -> Tuple[int, Dict[str, Any]]:
        status, body = self.get(f"{self.url}/webhooks/health/ready")
        return status, (json.loads(body) if body else {})

    def wait(self, predicate, what: str, timeout: float = STARTUP) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"make run exited while waiting for {what}:\n{self.log()[-3000:]}"
                )
            if predicate():
                return
            time.sleep(0.3)
        raise AssertionError(
            f"timed out waiting for {what}:\n" + "\n".join(self.supervisor_lines())
        )

    def say(self, sender: str, text: str, timeout: float = 60) -> List[Dict[str, Any]]:
        request = urllib.request.Request(
            f"{self.url}/webhooks/rest/webhook",
            data=json.dumps({"sender": sender, "message": text}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return json.loads(reply.read())

    def tracker(self, sender: str) -> Dict[str, Any]:
        status, body = self.get(f"{self.url}/conversations/{sender}/tracker")
        assert status == 200, body[:300]
        return json.loads(body)

    def slot(self, sender: str, name: str) -> Any:
        # the HTTP API is on (loopback, no token: make run's default)
        status, body = self.get(f"{self.url}/conversations/{sender}/tracker")
        assert status == 200, body[:300]
        return json.loads(body)["slots"].get(name)


@pytest.fixture(scope="module")
def make_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MakeRun]:
    running = MakeRun(tmp_path_factory.mktemp("make-run"))
    try:
        running.wait(lambda: running.ready()[0] == 200, "the assistant to be ready")
        yield running
    finally:
        if running.process.poll() is None:
            os.killpg(running.process.pid, signal.SIGKILL)
            running.process.wait()


def _texts(messages: List[Dict[str, Any]]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def test_a_killed_action_server_is_restarted_and_signs_escalate_meanwhile(
    make_run: MakeRun,
) -> None:
    assert make_run.ready() == (
        200,
        {"ready": True, "checks": {"model": "ok", "database": "ok", "actions": "ok"}},
    )
    make_run.say("sup-1", "my legs feel heavy on runs lately")
    assert make_run.slot("sup-1", "requested_slot") == "weekly_distance_km"

    # SIGSTOP: the action server is there but does not answer -> not ready
    actions = make_run.child_pid("actions")
    os.kill(actions, signal.SIGSTOP)
    try:
        time.sleep(1.1)
        status, body = make_run.ready()
        assert (
            status == 503
            and body["checks"]["actions"] == "unavailable"
            and body["checks"]["database"] == "ok"
        )
    finally:
        os.kill(actions, signal.SIGCONT)

    os.kill(actions, signal.SIGKILL)
    # while it is away (restart back-off: 1 s) a warning sign still escalates
    reply = _texts(
        make_run.say("sup-2", "my calf is swollen, hot and red since the long flight home")
    )
    assert "today" in reply.lower() and ("blood clot" in reply.lower() or "111" in reply)
    make_run.wait(
        lambda: any("actions restarted" in line for line in make_run.supervisor_lines()),
        "the action server's restart",
        30,
    )
    assert any(
        "actions killed by SIGKILL" in line and "restart 1 in" in line
        for line in make_run.supervisor_lines()
    )
    assert make_run.child_pid("actions") != actions
    make_run.wait(lambda: make_run.ready()[0] == 200, "ready again", 60)
    # the conversation goes on through the new action server (form validation is an action)
    make_run.say("sup-1", "about 40 km a week")
    assert make_run.slot("sup-1", "weekly_distance_km") == 40.0
    assert make_run.slot("sup-1", "requested_slot") == "distance_increase_pct"


def test_killed_page_and_rasa_servers_come_back_and_the_conversation_goes_on(
    make_run: MakeRun,
) -> None:
    page = f"http://127.0.0.1:{make_run.web_port}/"
    assert make_run.get(page)[0] == 200
    web = make_run.child_pid("web")
    os.kill(web, signal.SIGKILL)
    make_run.wait(
        lambda: make_run.child_pid("web") != web and make_run.get(page)[0] == 200,
        "the page server back",
        60,
    )

    make_run.say("sup-3", "my legs have been heavy for two weeks")
    make_run.say("sup-3", "30 km")
    before = make_run.tracker("sup-3")["slots"]
    rasa = make_run.child_pid("rasa")
    os.kill(rasa, signal.SIGKILL)
    # the others keep serving meanwhile: the chat page is still there
    assert make_run.get(page)[0] == 200
    make_run.wait(lambda: make_run.child_pid("rasa") != rasa, "Rasa's restart", 30)
    make_run.wait(lambda: make_run.ready()[0] == 200, "Rasa ready again", STARTUP)
    assert any("rasa killed by SIGKILL" in line for line in make_run.supervisor_lines())
    # the conversation is where it was: it lives in the database, not in the process
    assert make_run.tracker("sup-3")["slots"] == before and before["requested_slot"]


def test_sigterm_finishes_the_turn_in_flight_then_stops_everything(make_run: MakeRun) -> None:
    children = [make_run.child_pid(name) for name in ("actions", "rasa", "web")]
    import threading

    answer: Dict[str, Any] = {}

    def speak() -> None:
        try:
            answer["messages"] = make_run.say("sup-4", "my legs feel heavy and flat on every run")
        except Exception as error:  # noqa: BLE001 - recorded and asserted below
            answer["error"] = repr(error)

    speaker = threading.Thread(target=speak)
    speaker.start()
    time.sleep(0.05)
    started = time.monotonic()
    make_run.process.send_signal(signal.SIGTERM)
    speaker.join(60)
    assert make_run.process.wait(40) == 0
    took = time.monotonic() - started
    assert "error" not in answer, answer
    text = _texts(answer["messages"])
    assert (
        "couldn't complete" not in text and "?" in text
    )  # the whole turn: up to its first question
    for pid in children:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    lines = make_run.supervisor_lines()
    assert any("received SIGTERM" in line for line in lines)
    order = [line.split(": ")[1].split()[0] for line in lines if line.endswith("(exit status 0)")]
    assert order == ["web", "rasa", "actions"], lines
    assert took < 25

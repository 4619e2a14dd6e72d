"""`make run` on other ports beside a running default instance: every port moves together.

Before, ACTIONS_PORT moved the action server but not Rasa's action endpoint
(scripts/run.sh wrote 5055 into it), so a second instance's Rasa called the first
instance's action server, and stopped working when that one stopped.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Dict, Iterator

import pytest

from bot.servers import ROOT, free_port

pytestmark = pytest.mark.servers
DEFAULT_PORTS = {"RASA_PORT": 5005, "ACTIONS_PORT": 5055, "WEB_PORT": 8080}


def reachable(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@contextmanager
def make_run(log: Path, ports: Dict[str, int] | None = None) -> Iterator[subprocess.Popen]:
    """`make run` in its own process group, with ``ports`` in its environment."""
    env = {**os.environ, **{name: str(port) for name, port in (ports or {}).items()}}
    for name in DEFAULT_PORTS:
        if not ports or name not in ports:
            env.pop(name, None)
    process = subprocess.Popen(["make", "run"], cwd=ROOT, env=env, stdout=log.open("w"),
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def wait_until_serving(process: subprocess.Popen, rasa_port: int, log: Path) -> None:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"make run exited {process.returncode}:\n{log.read_text()[-3000:]}")
        if reachable(f"http://127.0.0.1:{rasa_port}/status"):
            return
        time.sleep(1)
    raise AssertionError(f"make run not serving after 240 s:\n{log.read_text()[-3000:]}")


def say(rasa_port: int, sender: str, text: str) -> str:
    request = urllib.request.Request(
        f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": text}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return "\n".join(m.get("text", "") for m in json.loads(response.read()))


def test_a_second_make_run_on_other_ports_serves_on_its_own(tmp_path: Path) -> None:
    if any(reachable(f"http://127.0.0.1:{port}/") for port in DEFAULT_PORTS.values()):
        pytest.skip("something already listens on a default port")
    other = {name: free_port() for name in DEFAULT_PORTS}
    with make_run(tmp_path / "default.log") as default:
        wait_until_serving(default, 5005, tmp_path / "default.log")
        with make_run(tmp_path / "other.log", other) as second:
            wait_until_serving(second, other["RASA_PORT"], tmp_path / "other.log")
            # The page server of the second instance points the browser at its own Rasa.
            with urllib.request.urlopen(
                    f"http://127.0.0.1:{other['WEB_PORT']}/config.json", timeout=10) as page:
                assert json.loads(page.read())["socketUrl"].endswith(f":{other['RASA_PORT']}")
            # The same ports twice are refused with a clear message.
            clash_log = tmp_path / "clash.log"
            with make_run(clash_log, other) as clash:
                assert clash.wait(timeout=120) != 0
            assert f"port {other['RASA_PORT']} (RASA_PORT)" in clash_log.read_text()
            # Stop the default instance: the second still needs no part of it.
            os.killpg(default.pid, signal.SIGTERM)
            default.wait(timeout=30)
            assert not reachable("http://127.0.0.1:5055/health")
            # a new sender each run: var/tracker.db keeps conversations between runs
            reply = say(other["RASA_PORT"], f"ports-runner-{secrets.token_hex(4)}",
                        "my legs feel heavy on runs")
            assert "not a diagnosis" in reply  # sent by the action server on ACTIONS_PORT
            assert "couldn't complete this step" not in reply
            log = (tmp_path / "other.log").read_text()
            assert f"127.0.0.1:{other['RASA_PORT']}" in log

"""The action server refuses callers without the shared token (bot/security/action_server.py).

Starts only the action server (a few seconds); Rasa calling it with the right
token is covered by tests/robustness/test_rest_input.py and every e2e test.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import urllib.request

import pytest

from bot.servers import ROOT, free_port, wait_for
from tests.robustness.conftest import post_raw

CALL = json.dumps({
    "next_action": "action_share_summary", "sender_id": "someone-else", "version": "3.6.21",
    "tracker": {"sender_id": "someone-else", "slots": {}, "latest_message": {}, "events": [],
                "paused": False, "followup_action": None, "active_loop": {},
                "latest_action_name": None},
    "domain": {},
}).encode()


@pytest.fixture(scope="module")
def action_server(tmp_path_factory: pytest.TempPathFactory):
    token = secrets.token_urlsafe(24)
    port = free_port()
    log = tmp_path_factory.mktemp("actions") / "actions.log"
    env = dict(os.environ, ACTIONS_TOKEN=token, DATABASE_URL=f"sqlite:///{log.parent}/db.sqlite")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.security.action_server", "--port", str(port)],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/health", process, log)
        yield f"http://127.0.0.1:{port}", token
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_no_token_is_401(action_server) -> None:
    url, _ = action_server
    answer = post_raw(f"{url}/webhook", CALL)
    assert answer.status == 401
    assert "missing" in answer.json()["error"]


@pytest.mark.parametrize("headers", [
    {"Authorization": "Bearer wrong-token-0123456789"},
    {"X-Actions-Token": "wrong"},
    {"Authorization": "Basic dXNlcjpwYXNz"},  # not a bearer token: counts as missing
])
def test_a_wrong_token_is_refused(action_server, headers) -> None:
    url, _ = action_server
    answer = post_raw(f"{url}/webhook", CALL, headers)
    assert answer.status in (401, 403)
    assert "summary" not in answer.body.decode()


def test_wrong_query_token_is_403_and_action_list_is_closed(action_server) -> None:
    url, _ = action_server
    assert post_raw(f"{url}/webhook?token=nope", CALL).status == 403
    try:
        urllib.request.urlopen(f"{url}/actions", timeout=10)
        raise AssertionError("GET /actions answered without a token")
    except urllib.error.HTTPError as error:
        assert error.code == 401


def test_the_right_token_runs_the_action(action_server) -> None:
    url, token = action_server
    for headers, suffix in (({"Authorization": f"Bearer {token}"}, ""),
                            ({}, f"?token={token}")):
        answer = post_raw(f"{url}/webhook{suffix}", CALL, headers)
        assert answer.status == 200, answer.body[:300]
        assert "responses" in answer.json()


def test_health_stays_open_and_no_cors(action_server) -> None:
    url, _ = action_server
    request = urllib.request.Request(f"{url}/health", headers={"Origin": "http://evil.example"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        assert "Access-Control-Allow-Origin" not in response.headers


def test_it_refuses_to_start_without_a_token() -> None:
    env = {k: v for k, v in os.environ.items() if k != "ACTIONS_TOKEN"}
    result = subprocess.run(
        [sys.executable, "-m", "bot.security.action_server", "--port", str(free_port())],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert "ACTIONS_TOKEN is not set" in result.stderr

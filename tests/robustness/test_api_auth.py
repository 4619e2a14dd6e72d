"""Rasa's HTTP API behind a JWT in the Authorization header (BOT_JWT_SECRET, run.sh).

One real Rasa server started with ``--jwt-secret ... --jwt-method HS256`` and no
``--auth-token``; tokens minted by ``bot.security.api_token``. Also: the start-up
rule that the API never listens off loopback without authentication.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Dict, Iterator

import jwt
import pytest

from bot.security.api_token import mint, new_secret
from bot.security.preflight import check_api_auth, is_loopback
from bot.servers import ROOT, RunningBot, running_bot
from tests.robustness.conftest import post_raw

SECRET = new_secret()


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    with running_bot(tmp_path_factory.mktemp("jwt"), jwt_secret=SECRET) as running:
        yield running


def status_of(url: str, headers: Dict[str, str] | None = None) -> int:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def bearer(token: str) -> Dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def tracker(bot: RunningBot, sender: str) -> str:
    return f"{bot.url}/conversations/{urllib.parse.quote(sender, safe='')}/tracker"


def test_no_wrong_or_expired_token_is_refused(bot: RunningBot) -> None:
    status = f"{bot.url}/status"
    assert status_of(status) == 401
    assert status_of(status, bearer(mint(new_secret()))) == 401  # wrong signature
    expired = mint(SECRET, ttl_seconds=60, now=time.time() - 3600)  # past the 3 min leeway
    assert status_of(status, bearer(expired)) == 401
    unsigned = jwt.encode({"user": {"username": "x", "role": "admin"},
                           "exp": int(time.time()) + 600}, None, algorithm="none")
    # Another algorithm ("none", HS512) is refused too, but sanic-jwt 1.8 lets PyJWT's
    # InvalidAlgorithmError escape: Rasa answers 500 rather than 401.
    assert status_of(status, bearer(unsigned)) in (401, 500)
    other = jwt.encode({"user": {"username": "x", "role": "admin"},
                        "exp": int(time.time()) + 600}, SECRET, algorithm="HS512")
    assert status_of(status, bearer(other)) in (401, 500)
    assert status_of(status, {"Authorization": mint(SECRET)}) in (400, 401)  # no "Bearer"


def test_valid_admin_jwt_in_the_header(bot: RunningBot) -> None:
    assert status_of(f"{bot.url}/status", bearer(mint(SECRET))) == 200
    assert status_of(tracker(bot, "anyone"), bearer(mint(SECRET))) == 200


def test_query_string_tokens_are_not_accepted(bot: RunningBot) -> None:
    admin = mint(SECRET)
    for query in (f"token={SECRET}", f"token={admin}", f"access_token={admin}"):
        assert status_of(f"{bot.url}/status?{query}") == 401, query


def test_runner_token_reads_only_its_own_conversation(bot: RunningBot) -> None:
    mine, theirs = f"runner-{secrets.token_hex(4)}", f"runner-{secrets.token_hex(4)}"
    for sender in (mine, theirs):
        answer = post_raw(f"{bot.url}/webhooks/rest/webhook",
                          json.dumps({"sender": sender, "message": "my legs feel heavy"}).encode())
        assert answer.status == 200  # the webhook itself is not behind the API's auth
    runner = bearer(mint(SECRET, username=mine, role="user", ttl_seconds=300))
    request = urllib.request.Request(tracker(bot, mine), headers=runner)
    with urllib.request.urlopen(request, timeout=30) as response:
        assert json.loads(response.read())["sender_id"] == mine
    assert status_of(tracker(bot, theirs), runner) == 403
    assert status_of(f"{bot.url}/status", runner) == 403  # not a conversation endpoint


def test_api_off_loopback_needs_authentication() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")
    assert check_api_auth("127.0.0.1") is None
    assert "without authentication" in (check_api_auth("0.0.0.0") or "")
    assert check_api_auth("0.0.0.0", jwt_secret=SECRET) is None
    assert check_api_auth("0.0.0.0", api_token=secrets.token_urlsafe(24)) is None
    assert check_api_auth("0.0.0.0", enable_api=False) is None
    assert "too short" in (check_api_auth("127.0.0.1", jwt_secret="short") or "")


def test_run_sh_refuses_an_open_api_off_loopback() -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("BOT_API_TOKEN", "BOT_JWT_SECRET", "BOT_ENABLE_API")}
    env.update(BOT_HOST="0.0.0.0")
    # The check runs first, so nothing is started or written when it refuses.
    result = subprocess.run(["bash", "scripts/run.sh"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "without authentication" in result.stderr and "BOT_JWT_SECRET" in result.stderr


def test_mint_cli_reads_the_secret_from_the_environment() -> None:
    def cli(*args: str, secret: str | None = SECRET) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if k != "BOT_JWT_SECRET"}
        if secret is not None:
            env["BOT_JWT_SECRET"] = secret
        return subprocess.run([sys.executable, "-m", "bot.security.api_token", *args],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)

    made = cli("--runner", "abc", "--ttl", "120")
    claims = jwt.decode(made.stdout.strip(), SECRET, algorithms=["HS256"])
    assert claims["user"] == {"username": "abc", "role": "user"}
    assert 0 < claims["exp"] - time.time() <= 121
    assert jwt.decode(cli().stdout.strip(), SECRET, algorithms=["HS256"])["user"]["role"] \
        == "admin"
    assert cli(secret=None).returncode == 2 and cli(secret="short").returncode == 2

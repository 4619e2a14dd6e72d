"""bot.web.origins: the one allow-list of sites that may embed the chat widget."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.servers import ROOT
from bot.web.origins import BadOrigin, allowed_origins, exact_origin, is_allowed


def test_page_origin_first_then_the_other_sites_normalised_without_repeats() -> None:
    env = {"WEB_ORIGIN": "http://127.0.0.1:8080",
           "ALLOWED_ORIGINS": "https://Club.Example.org:443, http://shop.example.com:8000\n"
                              "http://127.0.0.1:8080"}
    assert allowed_origins(env) == ["http://127.0.0.1:8080", "https://club.example.org",
                                    "http://shop.example.com:8000"]
    assert allowed_origins({}) == []


@pytest.mark.parametrize("value", ["*", "https://*.example.org", "https://a.org/chat",
                                   "https://a.org?x=1", "ftp://a.org", "a.org", "null",
                                   "http://user@a.org", "http://a.org:99999"])
def test_anything_but_an_exact_origin_is_refused(value: str) -> None:
    with pytest.raises(BadOrigin):
        exact_origin(value)
    with pytest.raises(BadOrigin):
        allowed_origins({"ALLOWED_ORIGINS": f"https://ok.example.org {value}"})


def test_a_request_is_judged_by_its_origin_header() -> None:
    allowed = ["https://club.example.org"]
    assert is_allowed("https://club.example.org", allowed)
    assert is_allowed("https://CLUB.example.org:443", allowed)
    assert not is_allowed("https://club.example.org:8443", allowed)
    assert not is_allowed("http://club.example.org", allowed)
    assert not is_allowed("https://evil.example.org", allowed)
    assert not is_allowed("null", allowed)  # sandboxed frames, file:// pages
    assert not is_allowed("junk", allowed)
    assert is_allowed(None, allowed)  # not a browser: no Origin header at all


def run_cli(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.web.origins"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_the_command_prints_the_list_for_scripts_and_fails_on_a_bad_entry() -> None:
    done = run_cli({"WEB_ORIGIN": "http://127.0.0.1:8080",
                    "ALLOWED_ORIGINS": "https://club.example.org"})
    assert done.returncode == 0
    assert done.stdout.split() == ["http://127.0.0.1:8080", "https://club.example.org"]
    bad = run_cli({"WEB_ORIGIN": "http://127.0.0.1:8080", "ALLOWED_ORIGINS": "*"})
    assert bad.returncode == 2 and "wildcards" in bad.stderr
    assert run_cli({}).returncode == 2

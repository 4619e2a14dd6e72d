"""The chat page with server-issued, signed conversation ids, in a real Chromium.

Another runner's conversation id, copied into a browser without its token (or with
a forged or expired one), is not enough: the page gets a new conversation, hears
nothing of the other one, and the other conversation is not touched
(bot.security.session_ids, docs/security.md).
"""

from __future__ import annotations

import time

import pytest

from bot.security.session_ids import SessionSigner, is_web_id
from tests.web.conftest import tracker, wait_until
from tests.web.test_widget import connected, say, session_id, session_token

pytestmark = pytest.mark.servers

expect = pytest.importorskip("playwright.sync_api").expect


def user_texts(stack, conversation: str) -> list[str]:
    return [e["text"] for e in tracker(stack.bot, conversation)["events"] if e["event"] == "user"]


def store(page, conversation: str, token: str | None) -> None:
    """Put a conversation id (and token) in the page's storage, as another visit left it."""
    page.evaluate("([id, token]) => { localStorage.setItem('heavylegs.session_id', id);"
                  " if (token === null) { localStorage.removeItem('heavylegs.session_token'); }"
                  " else { localStorage.setItem('heavylegs.session_token', token); } }",
                  [conversation, token])


@pytest.fixture
def victim(stack, browser):
    """A runner's conversation on the page, in a browser profile of its own."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(stack.page.url)
    connected(page)
    say(page, "my legs feel heavy after runs")
    conversation, token = session_id(page), session_token(page)
    assert is_web_id(conversation) and token
    yield page, conversation, token
    context.close()


def forged(stack, conversation: str) -> str:
    """A token of the right shape made with another secret."""
    return SessionSigner(b"not the server's secret at all, 32+").token_for(conversation)


def expired(stack, conversation: str) -> str:
    """A token made with the server's own secret, expired a minute ago."""
    signer = SessionSigner(stack.bot.session_secret.encode())
    return signer.token_for(conversation, expiry=int(time.time()) - 60)


@pytest.mark.parametrize("token", ["none", "forged", "expired"])
def test_another_runners_id_without_its_token_starts_a_new_conversation(
    stack, page, victim, token
) -> None:
    victim_page, conversation, _ = victim
    before = user_texts(stack, conversation)
    victim_bot_messages = victim_page.locator("#log li.msg-bot").count()

    page.goto(stack.page.url)
    store(page, conversation, {"none": None, "forged": forged(stack, conversation),
                               "expired": expired(stack, conversation)}[token])
    page.reload()
    connected(page)
    # The server confirmed a different, fresh conversation, and the page keeps that one.
    assert wait_until(lambda: session_id(page) not in (None, conversation))
    assert is_web_id(session_id(page))
    answer = say(page, "can I get a summary for my physio")
    assert answer
    # Nothing reached the other conversation, and the other runner heard nothing.
    assert user_texts(stack, conversation) == before
    page.wait_for_timeout(1000)
    assert victim_page.locator("#log li.msg-bot").count() == victim_bot_messages


def test_the_owner_carries_on_after_a_reload_with_a_renewed_token(stack, victim) -> None:
    page, conversation, _ = victim
    page.reload()
    connected(page)
    assert session_id(page) == conversation
    # The confirmation renewed the token (same conversation, expiry counted from now).
    assert SessionSigner(stack.bot.session_secret.encode()).verify(conversation,
                                                                   session_token(page))
    say(page, "about 30 km a week")
    assert user_texts(stack, conversation)[-1] == "about 30 km a week"
    expect(page.locator("#log li.msg-user .msg-text").first).to_have_text(
        "my legs feel heavy after runs")

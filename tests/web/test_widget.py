"""The chat page in a real headless Chromium, against the real Rasa and action servers.

Slow: one Rasa start (~30 s) for the module, then about a second per turn.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest

from tests.web.conftest import DESKTOP, PHONE, screenshot, tracker, wait_until

pytestmark = pytest.mark.servers

expect = pytest.importorskip("playwright.sync_api").expect

TURN_TIMEOUT = 60_000  # ms; a turn takes ~0.5 s, but the machine has 2 cores
INPUT_LABEL = "Your message to the assistant"
BOT_TEXTS = "#log li.msg-bot .msg-text"


def session_id(page) -> str:
    return page.evaluate("localStorage.getItem('heavylegs.session_id')")


def session_token(page) -> str:
    return page.evaluate("localStorage.getItem('heavylegs.session_token')")


def connected(page) -> None:
    expect(page.get_by_role("button", name="Send message")).to_be_enabled(timeout=TURN_TIMEOUT)


# The widget lives in a shadow root: Playwright's locators pierce it, page scripts
# go through it.
IN_WIDGET = "document.querySelector('heavy-legs-chat').shadowRoot"


def wait_for_answer(page, bot_messages_before: int) -> list[str]:
    page.wait_for_function(
        f"n => {IN_WIDGET}.querySelectorAll('#log li.msg-bot').length > n",
        arg=bot_messages_before, timeout=TURN_TIMEOUT,
    )
    expect(page.locator("#typing")).to_be_hidden(timeout=TURN_TIMEOUT)
    return page.locator(BOT_TEXTS).all_text_contents()[bot_messages_before:]


def say(page, text: str) -> list[str]:
    """Type ``text``, press Enter, and return the texts of the bot's answer."""
    before = page.locator("#log li.msg-bot").count()
    box = page.get_by_label(INPUT_LABEL)
    box.fill(text)
    box.press("Enter")
    expect(page.locator("#log li.msg-user .msg-text").last).to_have_text(text)
    return wait_for_answer(page, before)


def click_reply(page, title: str, keyboard: bool = False) -> list[str]:
    """Use the quick reply ``title``: a mouse click, or Tab focus and Enter."""
    before = page.locator("#log li.msg-bot").count()
    button = page.get_by_role("group", name="Suggested replies").get_by_role("button", name=title)
    expect(button).to_be_visible()
    if keyboard:
        page.get_by_label(INPUT_LABEL).focus()
        for _ in range(10):  # the replies come right before the input, in tab order
            page.keyboard.press("Shift+Tab")
            if button.evaluate("b => b === b.getRootNode().activeElement"):
                break
        expect(button).to_be_focused()
        page.keyboard.press("Enter")
    else:
        button.click()
    expect(page.locator("#log li.msg-user .msg-text").last).to_have_text(title)
    return wait_for_answer(page, before)


def skip_followups(page, answer: list[str]) -> str:
    """Skip the follow-up questions (issue 14) with their "Not sure" reply; the text of
    the bot's last answer (the explanation)."""
    replies = page.get_by_role("group", name="Suggested replies")
    for _ in range(4):
        if replies.get_by_role("button", name="Not sure").count() == 0:
            break
        answer = click_reply(page, "Not sure")
    return " ".join(answer)


OPENING = ("I run 30 km a week, sleep 7 hours and my shoes have 300 km on them, "
           "my legs feel heavy")


def to_the_explanation(page, speak=None) -> str:
    """A whole conversation: the opening with most figures, "steady", "pretty balanced",
    the follow-ups skipped; the explanation's text. ``speak``: how the runner says each
    line (``say`` by default; the embed tests type with the keyboard only)."""
    speak = speak or say
    speak(page, OPENING)
    speak(page, "steady")
    explanation = skip_followups(page, speak(page, "pretty balanced"))
    assert "legs feel heavy" in explanation and "GP" in explanation
    return explanation


def log_texts(page) -> list[str]:
    return page.locator("#log li").all_text_contents()


def no_horizontal_scroll(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_socketio_v4_client_speaks_to_rasa_with_eio4(stack, page) -> None:
    requests: list[str] = []
    sockets: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("websocket", lambda socket: sockets.append(socket.url))
    polls = []
    page.on("response", lambda r: polls.append(r) if "/socket.io/" in r.url else None)

    page.goto(stack.page.url)
    connected(page)

    rasa = stack.bot.url
    assert any(u.startswith(f"{rasa}/socket.io/?EIO=4&transport=polling") for u in requests)
    assert wait_until(lambda: sockets), "the client never upgraded to a websocket"
    ws_rasa = rasa.replace("http://", "ws://")
    assert sockets[0].startswith(f"{ws_rasa}/socket.io/?EIO=4&transport=websocket")
    # Rasa's --cors answers the page's origin; the handshake is a v4 one (sid, upgrades).
    handshake = polls[0]
    assert handshake.status == 200
    assert handshake.header_value("access-control-allow-origin") == stack.page.origin
    assert re.match(r'^0\{"sid":"[^"]+","upgrades":\["websocket"\]', handshake.text())
    vendored = page.evaluate("fetch('vendor/socket.io.esm.min.js').then(r => r.text())")
    assert re.search(r"Socket\.IO v4\.\d+\.\d+", vendored[:200])
    # Imported as a module: no global `io`, the widget's one global is HeavyLegs.
    assert page.evaluate("typeof window.io") == "undefined"
    assert page.evaluate("typeof window.HeavyLegs.init") == "function"
    # The server issued the conversation id ("web-" + 128 random bits) and its token.
    assert re.fullmatch(r"web-[0-9a-f]{32}", session_id(page))
    assert re.fullmatch(r"[0-9]+\.[A-Za-z0-9_-]{43}", session_token(page))
    # Everything came from this machine: the page server and Rasa, no CDN.
    hosts = {urlsplit(u).netloc for u in requests}
    assert hosts <= {urlsplit(stack.page.url).netloc, urlsplit(rasa).netloc}
    assert page.errors == []


def test_whole_conversation_by_typing_and_clicking(stack, page) -> None:
    page.goto(stack.page.url)
    expect(page.get_by_role("note")).to_contain_text("Not a diagnosis")
    log = page.get_by_role("log", name="Conversation with the assistant")
    expect(log).to_have_attribute("aria-live", "polite")
    connected(page)

    box = page.get_by_label(INPUT_LABEL)
    box.fill("my legs feel heavy after runs")
    box.press("Enter")
    expect(page.locator("#typing")).to_be_visible()  # while the bot works
    expect(page.locator("#typing")).to_have_text(re.compile("typing"))
    first = wait_for_answer(page, 0)
    # the notice is said once, in the header: not again in the conversation
    assert not any("not a diagnosis" in text for text in first)
    assert "week" in first[-1]

    say(page, "about 30 km a week")
    expect(page.get_by_role("button", name="Don't know")).to_be_visible()
    answer = click_reply(page, "Steady")
    assert "sleep" in answer[-1]
    answer = say(page, "7 hours")
    assert "eating" in answer[-1]
    expect(page.get_by_role("button", name="Balanced")).to_be_visible()
    screenshot(page, "question-with-replies-phone", PHONE)
    page.set_viewport_size(DESKTOP)
    answer = click_reply(page, "Don't know", keyboard=True)
    assert "shoes" in answer[-1]
    explanation = skip_followups(page, say(page, "about 300 km on them"))
    assert "most likely reasons your legs feel heavy" in explanation
    # each cause a card, its advice a list; the next steps offered under it
    expect(page.locator("#log li.explanation-msg .cause-card .cause-advice li").first
           ).to_be_visible()
    expect(page.get_by_role("button", name="A summary to keep")).to_be_visible()
    assert page.locator(".escalation").count() == 0
    assert page.errors == []

    conversation = session_id(page)
    slots = tracker(stack.bot, conversation)["slots"]
    assert slots["weekly_distance_km"] == 30.0
    assert slots["distance_increase_pct"] == 0.0
    assert slots["sleep_hours"] == 7.0
    assert slots["shoe_distance_km"] == 300.0
    assert slots["requested_slot"] is None and slots["likely_causes"]

    screenshot(page, "conversation-desktop", DESKTOP)
    screenshot(page, "conversation-phone", PHONE)
    assert no_horizontal_scroll(page)
    page.set_viewport_size({"width": 360, "height": 740})
    assert no_horizontal_scroll(page)
    page.set_viewport_size(DESKTOP)

    # A reload shows the same conversation and carries on in it.
    before = log_texts(page)
    page.reload()
    expect(page.locator("#log li")).to_have_count(len(before))
    assert log_texts(page) == before
    connected(page)
    assert session_id(page) == conversation
    say(page, "thanks")
    assert tracker(stack.bot, conversation)["latest_message"]["text"] == "thanks"


def test_summary_can_be_printed_or_saved(stack, page) -> None:
    page.goto(stack.page.url)
    page.get_by_role("button", name="New conversation").click()
    connected(page)
    to_the_explanation(page)
    answer = " ".join(say(page, "can I get a summary for my physio?"))
    assert "Summary of the heavy-legs assessment" in answer
    summary = page.locator("#log li.summary-msg").last
    expect(summary).to_contain_text("30 km a week")
    button = summary.get_by_role("button", name="Print or save this summary as a PDF")
    expect(button).to_be_visible()
    # Record the print call instead of opening the browser's print dialog. (The
    # script ends with a number: Playwright would call a function value it returns.)
    page.evaluate("window.__printed = 0; window.print = () => { window.__printed += 1; }; 0")
    button.click()
    assert page.evaluate("window.__printed") == 1
    # In print media only the summary is visible, without its button.
    page.emulate_media(media="print")
    expect(summary.locator(".msg-text")).to_be_visible()
    expect(summary.get_by_role("button")).to_be_hidden()
    expect(page.locator("#log li.msg-user").first).to_be_hidden()
    page.emulate_media(media="screen")
    assert page.errors == []


def test_emergency_is_unmistakable_and_its_advice_comes_first(stack, page) -> None:
    page.goto(stack.page.url)
    connected(page)
    say(page, "my legs feel heavy after runs")
    old = session_id(page)

    page.get_by_role("button", name="New conversation").click()
    expect(page.locator("#log li")).to_have_count(0)
    connected(page)
    expect(page.locator("#connection")).to_be_hidden()  # a new conversation, no "reconnected"
    assert wait_until(lambda: session_id(page) not in (None, old))

    answer = say(page, "my calf is swollen and hot and I can't catch my breath")
    card = page.locator("#log li.escalation-emergency")
    expect(card).to_have_count(1)
    # The advice is the first thing the bot says in that turn, under its heading.
    assert answer[0].startswith("⚠️ Please call your local emergency number now")
    turn = page.locator("#log li.msg-bot").all()[-len(answer):]
    assert "escalation-emergency" in turn[0].get_attribute("class")
    expect(card.locator(".escalation-title")).to_have_text("Emergency: call for help now")
    assert card.evaluate("c => c.firstElementChild.nextElementSibling.className") == (
        "escalation-title")
    # Calm: dark text on a pale card with a red edge; what to do now in large type;
    # the numbers as tap-to-call links.
    style = card.evaluate(
        "c => { const s = getComputedStyle(c); return [s.borderLeftColor, s.color]; }"
    )
    assert style == ["rgb(179, 38, 30)", "rgb(27, 31, 36)"]
    lead = card.locator(".lead")
    expect(lead).to_have_text(re.compile(r"^⚠️ Please call your local emergency number now"))
    assert float(lead.evaluate("n => parseFloat(getComputedStyle(n).fontSize)")) >= 20
    for number in ("999", "112", "911"):
        expect(card.locator(f"a[href='tel:{number}']")).to_have_text(number)
    expect(card).not_to_contain_text("legs")  # it does not assume which body part
    expect(page.get_by_role("alert")).to_have_text("Emergency: call for help now")
    expect(card).to_be_in_viewport()

    slots = tracker(stack.bot, session_id(page))["slots"]
    assert slots["escalation_level"] == "emergency"

    screenshot(page, "emergency-desktop", DESKTOP)
    screenshot(page, "emergency-phone", PHONE)
    top = card.bounding_box()["y"]
    assert 0 <= top < PHONE["height"] / 2, "the advice is not in view on a phone"
    assert no_horizontal_scroll(page)
    assert page.errors == []


def test_see_a_professional_and_urgent_advice_are_marked_too(stack, page) -> None:
    page.goto(stack.page.url)
    connected(page)
    answer = say(page, "my legs are heavy and I get pins and needles in my feet")
    card = page.locator("#log li.escalation-see_professional")
    expect(card).to_have_count(1)
    expect(card.locator(".escalation-title")).to_have_text("See a health professional")
    assert any("GP" in text for text in answer)
    expect(page.get_by_role("button", name="Yes, carry on")).to_be_visible()
    click_reply(page, "No thanks")

    answer = say(page, "now one calf is swollen, red and warm")
    card = page.locator("#log li.escalation-urgent")
    expect(card).to_have_count(1)
    expect(card.locator(".escalation-title")).to_have_text("Get medical care today")
    assert answer[0].startswith("Please get medical care today")
    assert page.locator("#log li.escalation-emergency").count() == 0
    assert tracker(stack.bot, session_id(page))["slots"]["escalation_level"] == "urgent"
    screenshot(page, "urgent-phone", PHONE)
    assert page.errors == []


def test_markup_from_the_runner_is_shown_as_text(stack, page) -> None:
    page.goto(stack.page.url)
    connected(page)
    markup = '<b>hi</b><script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'
    say(page, markup)

    def shown_as_text() -> None:
        expect(page.locator("#log li.msg-user .msg-text").last).to_have_text(markup)
        assert page.locator("#log b, #log script, #log img").count() == 0
        assert page.evaluate("typeof window.pwned") == "undefined"

    shown_as_text()
    page.reload()  # the stored transcript is rendered as text too
    connected(page)
    shown_as_text()
    assert page.errors == []


def test_reconnect_message_when_the_server_goes_away(stack, page) -> None:
    page.goto(stack.relayed_page.url)
    connected(page)
    say(page, "my legs feel heavy after runs")

    stack.relay.cut()
    status = page.get_by_role("status").filter(has_text="Connection")
    expect(status).to_contain_text("Connection to the assistant lost", timeout=TURN_TIMEOUT)
    expect(page.get_by_role("button", name="Send message")).to_be_disabled()
    expect(page.get_by_role("button", name="Don't know")).to_be_disabled()
    screenshot(page, "reconnecting-phone", PHONE)
    page.set_viewport_size(DESKTOP)

    stack.relay.start()
    expect(page.locator("#connection")).to_contain_text("Reconnected", timeout=TURN_TIMEOUT)
    connected(page)
    answer = say(page, "about 30 km a week")  # the same conversation goes on
    assert "changed" in answer[-1]
    assert page.errors == []


def test_a_page_from_another_origin_is_refused_by_cors(stack, page) -> None:
    # Same page server, but "localhost" is another origin than the allowed 127.0.0.1.
    page.goto(stack.page.url.replace("127.0.0.1", "localhost"))
    expect(page.locator("#connection")).to_contain_text("Can't reach the assistant",
                                                        timeout=TURN_TIMEOUT)
    expect(page.get_by_role("button", name="Send message")).to_be_disabled()


def http_get(url: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), b""


def test_page_server_serves_the_page_its_config_and_nothing_else(stack) -> None:
    status, headers, body = http_get(stack.page.url)
    assert status == 200 and b'src="widget.js"' in body
    assert "connect-src 'self' " + stack.bot.url in headers["Content-Security-Policy"]
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    status, _, body = http_get(stack.page.url + "config.json")
    assert status == 200 and stack.bot.url.encode() in body
    status, headers, _ = http_get(stack.page.url + "vendor/socket.io.esm.min.js")
    assert status == 200 and "javascript" in headers["Content-Type"]
    for outside in ("../pyproject.toml", "%2e%2e/pyproject.toml", "..%2fREADME.md",
                    "vendor/../../../README.md", "nothing-here"):
        assert http_get(stack.page.url + outside)[0] in (400, 403, 404), outside

"""The chat as a person uses it (issue 16): where am I in the questions, changing and
taking back an answer, the explanation as cards, the next steps under it, the notice
said once. Real Chromium against the real servers; screenshots in
artifacts/screenshots/."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import DESKTOP, PHONE, screenshot, tracker
from tests.web.test_widget import (
    IN_WIDGET,
    click_reply,
    connected,
    expect,
    no_horizontal_scroll,
    say,
    session_id,
    skip_followups,
)

pytestmark = pytest.mark.servers

PROGRESS = re.compile(r"^Question (\d+) of (\d+)$")


def progress_of(page) -> tuple[int, int]:
    """The step and total shown on the latest question."""
    text = page.locator("#log li.msg-bot .progress-text").last.text_content()
    match = PROGRESS.match(text or "")
    assert match, text
    return int(match.group(1)), int(match.group(2))


def test_progress_change_undo_cards_and_next_steps(stack, page) -> None:
    page.goto(stack.page.url)
    page.get_by_role("button", name="New conversation").click()
    connected(page)

    # The notice is said once: in the header, not again as a message.
    expect(page.get_by_role("note")).to_contain_text("Not a diagnosis")
    first = say(page, "my legs feel heavy on my runs")
    assert not any("not a diagnosis" in text.lower() for text in first)
    expect(page.locator("#log li", has_text=re.compile("not a diagnosis", re.I))).to_have_count(0)

    # Where am I: "Question 1 of N", a bar, the count moving on with each answer.
    step, total = progress_of(page)
    assert step == 1 and total >= 5
    say(page, "30 miles a week")
    assert progress_of(page)[0] == 2
    click_reply(page, "Steady")
    assert progress_of(page)[0] == 3
    bar = page.locator("#log li.msg-bot .progress-fill").last
    width = bar.evaluate("node => node.getBoundingClientRect().width")
    track = bar.evaluate("node => node.parentElement.getBoundingClientRect().width")
    assert 0 < width < track
    screenshot(page, "progress-phone", PHONE)
    page.set_viewport_size(DESKTOP)

    # Taking back the last answer: said so, and that question again (its step).
    answer = say(page, "undo")
    assert 'taken back your last answer ("steady")' in answer[0]
    assert "changed over the last few weeks" in answer[-1]
    assert progress_of(page)[0] == 2
    # A figure keeps the unit of the one before: "up from 20" after "30 miles a week".
    say(page, "went up from 20")
    say(page, "7 hours")
    # A correction in passing, at another question: acknowledged, the question again.
    answer = say(page, "wait, I got that wrong, I only sleep 5 hours")
    assert answer[0] == "Got it: I've changed your sleep to 5 hours a night."
    assert "eating" in answer[-1]
    screenshot(page, "correction-phone", PHONE)
    page.set_viewport_size(DESKTOP)
    say(page, "pretty balanced")
    skip_followups(page, say(page, "about 200 miles on them"))

    slots = tracker(stack.bot, session_id(page))["slots"]
    assert slots["sleep_hours"] == 5.0
    assert round(slots["distance_increase_pct"]) == 50
    assert slots["requested_slot"] is None and slots["likely_causes"]

    # The explanation: one card per cause with a bold title, the why in the runner's
    # miles, the advice as a list; the closing line set apart.

    expect(page.locator("#log li.explanation-msg")).to_have_count(1)
    explanation = page.locator("#log li.explanation-msg").last
    cards = explanation.locator(".cause-card")
    assert cards.count() == len(slots["likely_causes"])
    for i in range(cards.count()):
        card = cards.nth(i)
        title = card.get_by_role("heading", level=3)
        expect(title).to_be_visible()
        weight = title.evaluate("node => getComputedStyle(node).fontWeight")
        assert int(weight) >= 600
        assert card.locator(".cause-advice li").count() >= 1
        expect(card.locator(".cause-see")).to_contain_text("When to see someone")
    expect(explanation).to_contain_text("20 to 30 miles a week")
    assert " km" not in (explanation.text_content() or "")
    expect(explanation.locator(".explanation-closing")).to_be_visible()
    screenshot(page, "explanation-cards-desktop", DESKTOP)
    screenshot(page, "explanation-cards-phone", PHONE)
    assert no_horizontal_scroll(page)
    # the explanation is shown from its top (read from the start), and nothing of the
    # conversation sits behind the input on a phone
    top = explanation.evaluate("node => node.getBoundingClientRect().top")
    chat_box = page.evaluate(
        f"(() => {{ const r = {IN_WIDGET}.querySelector('#chat').getBoundingClientRect();"
        " return [r.top, r.bottom]; })()")
    assert chat_box[0] <= top <= chat_box[0] + 40
    input_top = page.get_by_label("Your message to the assistant").evaluate(
        "node => node.getBoundingClientRect().top")
    assert chat_box[1] <= input_top + 1
    page.set_viewport_size(DESKTOP)

    # The next steps under it: a plan, and the summary to keep.
    replies = page.get_by_role("group", name="Suggested replies")
    expect(replies.get_by_role("button", name="What should I do first?")).to_be_visible()
    answer = click_reply(page, "A summary to keep")
    assert "Summary of the heavy-legs assessment" in " ".join(answer)
    summary = page.locator("#log li.summary-msg").last
    expect(summary.get_by_role("button", name="Print or save this summary as a PDF")
           ).to_be_visible()
    expect(summary.get_by_role("button", name="Copy this summary")).to_be_visible()

    # A reload draws the same cards and progress from the kept transcript.
    before = page.locator("#log li").count()
    shown = page.locator("#log .cause-card").count()
    page.reload()
    expect(page.locator("#log li")).to_have_count(before)
    expect(page.locator("#log .cause-card")).to_have_count(shown)
    assert page.errors == []


def test_change_my_answer_offers_the_answers_as_buttons(stack, page) -> None:
    page.goto(stack.page.url)
    page.get_by_role("button", name="New conversation").click()
    connected(page)
    say(page, "heavy legs on my runs")
    say(page, "40 km")
    answer = say(page, "change my answer")
    assert "Which answer" in " ".join(answer)
    answer = click_reply(page, "Change your weekly distance")
    assert "redo your weekly distance" in " ".join(answer)
    say(page, "50 km")
    slots = tracker(stack.bot, session_id(page))["slots"]
    assert slots["weekly_distance_km"] == 50.0
    assert page.errors == []

"""The bot always answers, and a warning sign always escalates (REST, real servers).

Before, one message the bot could not place got the same apology ten times, and
then nothing at all for the rest of the session, "I have chest pain" included.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any, Dict, List

from tests.e2e.conftest import Chat

UNCLEAR_APOLOGY = "didn't follow"
HOSTILE_AND_UNCLEAR = [
    "qwerty asdf", "abc123", "asdfghjkl", "xyzzy plugh", "bonjour, j'ai mal aux jambes",
    "ich habe schwere Beine", "zzzz", "lorem ipsum dolor sit", "blorp", "qqq www eee",
    "/restart", "/affirm", "<script>alert(1)</script>", "%s%s%s%n", "{}", "[1, 2]",
    "null", "-- ; DROP TABLE events;", "tengo las piernas pesadas", "skdjfh wqeoiru",
]


def texts(reply: List[Dict[str, Any]]) -> List[str]:
    return [message.get("text") or "" for message in reply]


def test_nonsense_gets_one_short_answer_with_suggestions(chat: Chat) -> None:
    reply = chat.say("qwerty asdf")
    said = texts(reply)
    assert len(said) == 1, said
    assert UNCLEAR_APOLOGY in said[0]
    titles = [button["title"] for button in reply[0].get("buttons") or []]
    assert "My legs feel heavy" in titles
    # The unclear turn is forgotten: nothing of it shapes what comes next.
    events = chat.tracker()["events"]
    assert events[-1]["event"] == "action" and events[-1]["name"] == "action_listen"
    assert any(event["event"] == "rewind" for event in events)


def test_after_nonsense_the_next_message_is_understood_as_freshly_as_the_first(
    chat: Chat,
) -> None:
    chat.say("abc123")
    reply = chat.text("my legs feel heavy on runs")
    assert "not a diagnosis" in reply
    assert chat.slot("requested_slot") == "weekly_distance_km"


def test_a_long_series_of_unclear_messages_then_a_warning_sign(chat: Chat) -> None:
    for text in HOSTILE_AND_UNCLEAR:
        reply = texts(chat.say(text))
        print(f"[rest] RUNNER: {text}\n" + "".join(f"[rest] BOT: {r}\n" for r in reply))
        assert reply, f"no answer to {text!r}"
        assert len(reply) == len(set(reply)), f"a repeated message in one reply: {reply}"
        # at most the explanation (a note, its opening, three causes, the reminder):
        # messages the bot reads as answers move the questions on, never repeat them
        assert len(reply) <= 6, reply
    answer = chat.text("I have chest pain and can't breathe")
    print(f"[rest] RUNNER: I have chest pain and can't breathe\n[rest] BOT: {answer}")
    assert "emergency number" in answer
    slots = chat.tracker()["slots"]
    assert slots["escalation_level"] == "emergency"
    assert {"chest_pain", "breathlessness"} <= set(slots["red_flags"])


def post_events(chat: Chat, events: List[Dict[str, Any]]) -> None:
    url = (f"{chat.bot.url}/conversations/{chat.sender}/tracker/events"
           f"?token={chat.bot.token}&include_events=NONE")
    request = urllib.request.Request(url, data=json.dumps(events).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200


def test_a_conversation_stuck_by_the_old_circuit_breaker_comes_back(chat: Chat) -> None:
    """A tracker as Rasa 3.6 left it after a tripped turn: ten actions, no listen."""
    chat.say("hello")
    stuck = [{"event": "user", "text": "qwerty asdf",
              "parse_data": {"intent": {"name": "affirm", "confidence": 0.42},
                             "entities": []}}]
    for _ in range(10):
        stuck += [{"event": "action", "name": "utter_please_rephrase"},
                  {"event": "bot", "text": "Sorry, I didn't quite follow."}]
    post_events(chat, stuck)
    answer = chat.text("I have chest pain")
    assert "emergency number" in answer
    assert chat.slot("escalation_level") == "emergency"

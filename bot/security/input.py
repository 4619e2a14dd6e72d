"""Checking and cleaning what a client sends before Rasa sees it (pure Python).

Used by the REST channel (``bot.channels.rest.SafeRestInput``); the functions are
channel-neutral so other channels can call them too (docs/security.md).

Why each rule exists (all found by tests/robustness/):

* a lone UTF-16 surrogate (JSON ``"\\ud800"``) in the text makes spaCy raise
  ``UnicodeEncodeError`` (the runner got an empty answer), and in the sender id
  it made SQLite raise it inside Rasa's SQL tracker store, whose handler for
  ``ValueError`` *exits the whole Rasa server*;
* Rasa's tokenizers and featurizers see the whole text (our own NLU components
  clip at ``MAX_MESSAGE_CHARS``): 1 MB of text took ~6 s of one CPU per turn;
* a sender id longer than 255 characters does not fit Rasa's ``events.sender_id``
  column on PostgreSQL (500), and without a sender every client shares the
  conversation ``default``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from bot.text_limits import MAX_MESSAGE_CHARS, clip_text

# A request body above this is refused with 413 before it is parsed. 20,000
# characters of any text fit (JSON escapes astral characters as 12 bytes).
MAX_BODY_BYTES = 256 * 1024
MAX_SENDER_CHARS = 128

_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 and C1 control characters and DEL, except tab and newline.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")

EMPTY_REPLY = (
    "I didn't get any text in that message. Tell me in a few words how your legs "
    "feel, or answer my last question. Nothing you told me before is lost."
)
NO_WORDS_REPLY = (
    "I can only read words and numbers, not emoji or symbols on their own. Tell me "
    "in a few words how your legs feel, or answer my last question. Nothing you told "
    "me before is lost."
)
NOT_ENGLISH_REPLY = (
    "Sorry, I can only understand English for now. Please tell me in English how "
    "your legs feel. Nothing you told me before is lost."
)
CLIPPED_NOTE = (
    f"Your message was very long, so I only read its first {MAX_MESSAGE_CHARS:,} "
    "characters. If something important came later, please send it in a shorter message."
)
FAILURE_REPLY = (
    "Sorry, something went wrong on my side and I couldn't answer that. Please try "
    "again in a minute. If your legs get worse, or you notice swelling, numbness, "
    "chest pain or breathlessness, don't wait for me: see a health professional, or "
    "call your local emergency number for chest pain, breathlessness or fainting."
)
STEP_FAILED_NOTE = (
    "Sorry, I couldn't complete this step just now (a part of me is not responding), "
    "so some of your answers may not have been noted. Please try again in a few "
    "minutes. If your symptoms get worse, or you notice swelling, numbness, chest "
    "pain or breathlessness, see a health professional, or call your local "
    "emergency number for chest pain, breathlessness or fainting."
)


class BadRequest(ValueError):
    """The request cannot be read; the message is safe to show to the client."""


_SPACES = re.compile(r"[^\S\n]+")  # runs of whitespace other than newlines
_LINE_BREAKS = re.compile(r"\s*\n\s*")


def _line_break(match: re.Match[str]) -> str:
    before = match.string[:match.start()].rstrip()
    return " " if not before or before[-1] in ".,;:!?" else ". "


def clean_text(text: str) -> str:
    """The text as the NLU should see it.

    Lone surrogates become U+FFFD, control characters spaces; runs of spaces and
    tabs become one space, and a line break ends a clause (". "). The red-flag
    matchers do not skip spaCy's whitespace tokens: "chest  pain" (two spaces) or
    "chest\tpain" was read as "pain" only (urgent instead of emergency), see
    tests/robustness/test_fuzz_parsers.py.
    """
    text = _SURROGATE.sub("\ufffd", text)
    text = _CONTROL.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _SPACES.sub(" ", text).strip()
    return _LINE_BREAKS.sub(_line_break, text)


def has_words(text: str) -> bool:
    """True when the text has at least one letter or digit."""
    return any(ch.isalnum() for ch in text)


def mostly_non_latin(text: str) -> bool:
    """True when most letters are not Latin (Cyrillic, Greek, CJK, Arabic, ...)."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return False
    latin = sum(1 for ch in letters if unicodedata.name(ch, "").startswith("LATIN"))
    return latin * 2 < len(letters)


def check_sender(value: Any) -> str:
    """The sender id, or BadRequest when it is missing, not a string, odd or too long."""
    if value is None:
        raise BadRequest("'sender' is missing: send a conversation id (a string)")
    if not isinstance(value, str):
        raise BadRequest("'sender' must be a string")
    if not value.strip():
        raise BadRequest("'sender' is empty")
    if len(value) > MAX_SENDER_CHARS:
        raise BadRequest(f"'sender' is longer than {MAX_SENDER_CHARS} characters")
    if _SURROGATE.search(value) or _CONTROL.search(value) or "\n" in value or "\t" in value:
        raise BadRequest("'sender' contains control characters or invalid Unicode")
    return value


@dataclass
class Incoming:
    """A checked message: what to pass to Rasa, or what to answer directly."""

    sender: str
    text: str
    clipped: bool = False
    direct_reply: str | None = None  # answer without running the model


def read_message(body: bytes) -> tuple[dict, Incoming]:
    """Parse a REST webhook body into (payload, Incoming); BadRequest when unreadable."""
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest(f"the request body is larger than {MAX_BODY_BYTES} bytes")
    if not body.strip():
        raise BadRequest("the request body is empty: send JSON like "
                         '{"sender": "me", "message": "my legs feel heavy"}')
    try:
        decoded = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the request body is not valid UTF-8") from None
    try:
        payload = json.loads(decoded)
    except ValueError:
        raise BadRequest("the request body is not JSON") from None
    if not isinstance(payload, dict):
        raise BadRequest("the request body must be a JSON object")
    sender = check_sender(payload.get("sender"))
    message = payload.get("message")
    if message is None:
        raise BadRequest("'message' is missing")
    if not isinstance(message, str):
        raise BadRequest("'message' must be a string")
    text = clean_text(message)
    clipped = len(text) > MAX_MESSAGE_CHARS
    text = clip_text(text).strip()
    incoming = Incoming(sender=sender, text=text, clipped=clipped)
    if not text:
        incoming.direct_reply = EMPTY_REPLY
    elif not has_words(text):
        incoming.direct_reply = NO_WORDS_REPLY
    elif mostly_non_latin(text):
        incoming.direct_reply = NOT_ENGLISH_REPLY
    return payload, incoming

"""Checking and cleaning what a client sends before Rasa sees it (pure Python).

Used by every channel: REST (``bot.channels.rest.SafeRestInput``), Telegram,
Slack and the chat page's socket.io channel (``bot.web.channel``). The webhook
body checks (``read_json_object``), the id checks (``check_sender``) and the text
checks (``read_text``) are channel-neutral; each channel only decides how to
answer (docs/security.md).

Why each rule exists (all found by tests/robustness/):

* a lone UTF-16 surrogate (JSON ``"\\ud800"``) in the text makes spaCy raise
  ``UnicodeEncodeError`` (the runner got an empty answer), and in the sender id
  it made SQLite raise it inside Rasa's SQL tracker store, whose handler for
  ``ValueError`` *exits the whole Rasa server*;
* Rasa's tokenizers and featurizers see the whole text (our own NLU components
  clip at ``MAX_MESSAGE_CHARS``): 1 MB of text took ~6 s of one CPU per turn;
* a sender id longer than 255 characters does not fit Rasa's ``events.sender_id``
  column on PostgreSQL (500), and without a sender every client shares the
  conversation ``default``;
* a sender id with U+2028 (a line separator) wrote what looked like a separate
  ERROR line into the log, wherever an id is logged.
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
# Refused in ids (never in text): line and paragraph separators (U+2028, U+2029,
# which many log viewers and Python's str.splitlines() break lines at, so an id could
# forge a log line) and format characters (Cf: zero-width characters, bidi overrides
# such as U+202E that reorder what a log shows, the BOM, the soft hyphen).
_INVISIBLE_CATEGORIES = frozenset({"Zl", "Zp", "Cf"})

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
# Ends every note on a step that could not be completed (here and bot/storage/outage.py).
SAFETY_ADVICE = (
    "If your symptoms get worse, or you notice swelling, numbness, chest pain or "
    "breathlessness, see a health professional, or call your local emergency number "
    "for chest pain, breathlessness or fainting."
)
STEP_FAILED_NOTE = (
    "Sorry, I couldn't complete this step just now (a part of me is not responding), "
    "so some of your answers may not have been noted. Please try again in a few "
    "minutes. " + SAFETY_ADVICE
)

# For the chat page (socket.io), which has no status code to refuse with.
UNREADABLE_REPLY = (
    "Sorry, I couldn't read that message (it did not arrive as text). Please type it "
    "again. Nothing you told me before is lost."
)
BAD_SESSION_REPLY = (
    "Sorry, I couldn't read that message: this chat's conversation id is not valid. "
    "Please reload the page to start a new conversation."
)
# The chat page's message carried no valid token for its conversation (bot.security.session_ids).
SESSION_NOT_PROVEN_REPLY = (
    "Sorry, I couldn't accept that message: this chat's session could not be confirmed "
    "(it may have expired). Please reload the page to start a new conversation."
)
# A conversation over the rate limit (bot.security.rate_limit): the refused message was
# not read, so it may have carried a warning sign; the safety advice says what to do.
RATE_LIMITED_REPLY = (
    "You're sending messages faster than I can read them; please wait a few seconds and "
    "send that message again. " + SAFETY_ADVICE
)


class BadRequest(ValueError):
    """The request cannot be read; the message is safe to show to the client."""


_SPACES = re.compile(r"[^\S\n]+")  # runs of whitespace other than newlines
_LINE_BREAKS = re.compile(r"\s*\n\s*")


def _line_break(match: re.Match[str]) -> str:
    return "\n\n" if match.group().count("\n") > 1 else "\n"


def clean_text(text: str) -> str:
    """The text as the NLU should see it.

    Lone surrogates become U+FFFD, control characters spaces; runs of spaces and
    tabs become one space, and white space around line breaks one line break (or
    one blank line). Line breaks are kept because they mean something to the
    red-flag detector (bot/triage/red_flags.py): one line break inside a sign's
    words is a wrapped line ("chest\npain" is chest pain), anywhere else it ends a
    clause and a negation's reach ("no numbness\nchest pain"), and a blank line is
    never bridged. Turning it into ". " here, as before, made "chest\npain" read as
    "pain" only (urgent instead of emergency).
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


def check_sender(value: Any, field: str = "sender") -> str:
    """The conversation id, or BadRequest when it is missing, not a string, odd or too long.

    ``field`` names the id in the error (``sender``, ``session_id``, ``chat.id``, ...).
    """
    if value is None:
        raise BadRequest(f"'{field}' is missing: send a conversation id (a string)")
    if not isinstance(value, str):
        raise BadRequest(f"'{field}' must be a string")
    if not value.strip():
        raise BadRequest(f"'{field}' is empty")
    if len(value) > MAX_SENDER_CHARS:
        raise BadRequest(f"'{field}' is longer than {MAX_SENDER_CHARS} characters")
    if _SURROGATE.search(value) or _CONTROL.search(value) or "\n" in value or "\t" in value:
        raise BadRequest(f"'{field}' contains control characters or invalid Unicode")
    if any(unicodedata.category(ch) in _INVISIBLE_CATEGORIES for ch in value):
        raise BadRequest(f"'{field}' contains line or paragraph separators or format characters")
    return value


@dataclass
class Incoming:
    """A checked message: what to pass to Rasa, or what to answer directly."""

    sender: str
    text: str
    clipped: bool = False
    direct_reply: str | None = None  # answer without running the model


def read_text(sender: str, message: Any, field: str = "message") -> Incoming:
    """Check and clean one message's text for ``sender`` (an id already checked).

    BadRequest when the text is missing or not a string. Otherwise the text is
    cleaned (``clean_text``), loses any leading "/" (never Rasa's intent syntax) and
    is cut to ``MAX_MESSAGE_CHARS`` (``clipped`` says so); an empty text, one
    without letters or digits and one mostly in a non-Latin script get a
    ``direct_reply`` instead of a turn.
    """
    if message is None:
        raise BadRequest(f"'{field}' is missing")
    if not isinstance(message, str):
        raise BadRequest(f"'{field}' must be a string")
    # Text stays text: Rasa reads a message that starts with "/" as an intent with
    # entities ("/affirm{...}"), which would let anyone set slots the bot repeats.
    text = clean_text(message).lstrip("/ ")
    clipped = len(text) > MAX_MESSAGE_CHARS
    text = clip_text(text).strip()
    incoming = Incoming(sender=sender, text=text, clipped=clipped)
    if not text:
        incoming.direct_reply = EMPTY_REPLY
    elif not has_words(text):
        incoming.direct_reply = NO_WORDS_REPLY
    elif mostly_non_latin(text):
        incoming.direct_reply = NOT_ENGLISH_REPLY
    return incoming


def read_json_object(body: bytes, example: str = "") -> dict:
    """A webhook body as a JSON object; BadRequest (say 400, or 413 when ``too_large``).

    Checks, in order: at most ``MAX_BODY_BYTES``, not empty, valid UTF-8, JSON, an object.
    """
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest(f"the request body is larger than {MAX_BODY_BYTES} bytes")
    if not body.strip():
        raise BadRequest("the request body is empty" + (f": send JSON like {example}"
                                                        if example else ""))
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
    return payload


def too_large(error: BadRequest) -> bool:
    """True when ``error`` is the body-size refusal (answer 413, not 400)."""
    return str(error).startswith("the request body is larger than")


def read_message(body: bytes) -> tuple[dict, Incoming]:
    """Parse a REST webhook body into (payload, Incoming); BadRequest when unreadable."""
    payload = read_json_object(
        body, example='{"sender": "me", "message": "my legs feel heavy"}'
    )
    sender = check_sender(payload.get("sender"))
    return payload, read_text(sender, payload.get("message"))

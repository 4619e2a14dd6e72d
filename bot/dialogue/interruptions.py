"""Is a reply to an open question an answer, or a different request?

The intent classifier sees one message at a time; a reply such as "good" (to "how
many hours do you sleep?") or "tired the rest of the day" (to "does it ease when you
stop?") may come back as ``greet`` or ``ask_what_to_do``. Taking those as
interruptions made the bot answer something nobody asked and then ask the same
question again, and again. So while a question is open a reply is an interruption
only when it is one: a question ("why do you ask?"), a request to stop or forget, or
nothing but a greeting or thanks. Everything else is read as an attempt to answer
(and left out with a note when it can't be read: no question is asked twice).
"""

from __future__ import annotations

import re

# requests that leave the question open for the rules to answer, but only when a word
# of the request is there: a misread answer ("a bit more than last year, gradually"
# read as request_summary) must neither be taken for a request nor stall the question
# (the runner would be told "no summary yet" and asked again, and again)
REQUESTS = {
    "forget_me": re.compile(
        r"\b(delete|deleted|erase|forget|forgotten|remove|removed|wipe|purge|nuke|clear|"
        r"scrub|data|records?|history|profile|account|info|information|details|gdpr|consent|"
        r"storing|stored)\b", re.IGNORECASE),
    "request_summary": re.compile(
        r"\b(summary|summari[sz]e|sum (it )?up|recap|report|overview|copy|export|print|"
        r"write (it )?(up|down)|share|forward|results|last assessment|last time|"
        r"main points|key points|write-?up|note|bring|appointment|physio\w*|doctor|gp|"
        r"show (me|my|her|him)|list my)\b", re.IGNORECASE),
}
# leaving: only when a word of leave-taking is there (a misread answer must not end
# the conversation)
CLOSINGS = frozenset({"goodbye", "thanks+goodbye"})
_CLOSING_WORDS = re.compile(
    r"\b(bye|goodbye|good night|goodnight|see (you|ya)|later|cya|that's all|thats all|"
    r"that is all|take care|have a good|gotta go|got to go|i'm off|im off|done for now)\b",
    re.IGNORECASE)
# interruptions only when the message is put as a question
QUESTIONS = frozenset({"ask_why", "ask_causes", "ask_what_to_do", "ask_when_to_see_someone",
                       "bot_challenge", "out_of_scope", "thanks+ask_what_to_do",
                       "thanks+ask_when_to_see_someone",
                       "ask_what_to_do+ask_when_to_see_someone"})
# interruptions only when the message is nothing but courtesy
COURTESY = frozenset({"greet", "thanks"})
_QUESTION_START = re.compile(
    r"^\s*(why|what|how|when|where|who|which|should|shall|can|could|is|are|do|does|did|"
    r"will|would|tell me|explain|any advice|help)\b", re.IGNORECASE)
_COURTESY_WORDS = frozenset("""hi hello hey hiya howdy morning evening afternoon day
    there thanks thank you cheers ta thx ty much lot so very great awesome brilliant perfect
    lovely nice mate appreciated appreciate it""".split())
_GOOD_TIME = re.compile(r"\bgood (morning|afternoon|evening|day)\b")
_WORDS = re.compile(r"[a-z']+")


def looks_like_question(text: str) -> bool:
    return "?" in text or _QUESTION_START.match(text or "") is not None


def only_courtesy(text: str) -> bool:
    words = _WORDS.findall(_GOOD_TIME.sub(" hello ", (text or "").lower()))
    return bool(words) and all(word in _COURTESY_WORDS for word in words)


# commands (bot/knowledge/commands.yml) are recognised only as a whole message
COMMANDS = frozenset({"restart", "back", "change_answer"})


def is_interruption(text: str, intent: str | None) -> bool:
    """True when ``text`` (classified as ``intent``) is not an attempt to answer."""
    if intent in COMMANDS:
        return True
    if intent in REQUESTS:
        return REQUESTS[intent].search(text or "") is not None
    if intent in CLOSINGS:
        return _CLOSING_WORDS.search(text or "") is not None
    if intent in QUESTIONS:
        return looks_like_question(text)
    if intent in COURTESY:
        return only_courtesy(text)
    return False

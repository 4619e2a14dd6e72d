"""Limits applied to user text before any NLU work.

Very long messages are clipped so that parsing and matching stay fast and
bounded; warning signs sit in the kept part because runners describe them in
the first few sentences, and the limit is far above any real chat message.
"""

import re

MAX_MESSAGE_CHARS = 2000


def clip_text(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """Return ``text`` cut to ``limit`` characters."""
    return text if len(text) <= limit else text[:limit]


_BLANKS = re.compile(r"[^\S\n]+")
_LINE_BREAKS = re.compile(r"\s*\n\s*")


def tidy_whitespace(text: str) -> str:
    """One space for each run of spaces or tabs, one line break for each run with a
    line break, nothing at the ends. Runs of white space would become spaCy
    whitespace tokens that break multi-word patterns ("chest  pain"), while a line
    break still ends a sentence (and the scope of a negation before it)."""
    return _LINE_BREAKS.sub("\n", _BLANKS.sub(" ", text)).strip()

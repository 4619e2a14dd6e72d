"""Limits applied to user text before any NLU work.

Very long messages are clipped so that parsing and matching stay fast and
bounded; warning signs sit in the kept part because runners describe them in
the first few sentences, and the limit is far above any real chat message.
"""

MAX_MESSAGE_CHARS = 2000


def clip_text(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """Return ``text`` cut to ``limit`` characters."""
    return text if len(text) <= limit else text[:limit]


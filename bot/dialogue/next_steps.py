"""The buttons under an explanation: what a runner most often wants next.

Their payloads are the words a runner would type, so a click is read exactly like
typing it (on every channel) and classified by the same rules: the plan ("what should
I do first?") and the summary to keep or show a physio. The titles are in
``bot/knowledge/commands.yml`` (``next_steps``), so the wording is data.
"""

from __future__ import annotations

from typing import Dict, List

from bot.nlu.commands import load_next_steps


def next_step_buttons() -> List[Dict[str, str]]:
    return [{"title": step["title"], "payload": step["payload"]} for step in load_next_steps()]

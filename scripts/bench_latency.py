"""Median per-turn latency through the REST webhook: this bot next to a bare `rasa init` bot.

Both run on this machine in the same run, measured the same way: N turns of
whole conversations posted one after another to /webhooks/rest/webhook.
Prints a small table (median, p95, mean in ms). Not a test: figures only.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.servers import running_bot  # noqa: E402

OUR_CONVERSATION = [
    "my legs feel heavy on my runs lately",
    "about 40 km a week",
    "went from 30 to 40",
    "6 hours",
    "pretty balanced",
    "500 km",
]
BARE_CONVERSATION = ["hello", "I am sad", "yes", "great", "bye", "hi"]


def bare_bot_model(workdir: Path) -> Path:
    """The model of a fresh `rasa init` project (which trains it), made once."""
    bare = workdir / "bare_bot"
    models = sorted((bare / "models").glob("*.tar.gz"))
    if models:
        return models[-1]
    bare.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "rasa", "init", "--no-prompt", "--init-dir", str(bare)],
                   check=True, cwd=bare, capture_output=True)
    return sorted((bare / "models").glob("*.tar.gz"))[-1]


def measure(url: str, conversation: list[str], turns: int) -> list[float]:
    timings: list[float] = []
    sender = 0
    while len(timings) < turns:
        sender += 1
        for text in conversation:
            if len(timings) >= turns:
                break
            body = json.dumps({"sender": f"bench-{sender}", "message": text}).encode()
            request = urllib.request.Request(f"{url}/webhooks/rest/webhook", data=body,
                                             headers={"Content-Type": "application/json"})
            start = time.perf_counter()
            with urllib.request.urlopen(request, timeout=60) as response:
                response.read()
            timings.append((time.perf_counter() - start) * 1000)
    return timings


def summary(name: str, timings: list[float]) -> str:
    ordered = sorted(timings)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    return (f"| {name} | {len(timings)} | {statistics.median(timings):.1f} | {p95:.1f} | "
            f"{statistics.mean(timings):.1f} |")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=100)
    parser.add_argument("--workdir", type=Path, default=ROOT / "build" / "bench")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    bare_model = bare_bot_model(args.workdir)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        with running_bot(Path(tmp) / "ours") as bot:
            measure(bot.url, OUR_CONVERSATION, 6)  # warm-up
            ours = measure(bot.url, OUR_CONVERSATION, args.turns)
        with running_bot(Path(tmp) / "bare", model=bare_model, with_actions=False) as bot:
            measure(bot.url, BARE_CONVERSATION, 6)
            bare = measure(bot.url, BARE_CONVERSATION, args.turns)
    rows.append(summary("this bot (SQLite tracker store, action server)", ours))
    rows.append(summary("bare `rasa init` bot (in-memory tracker store)", bare))
    print("| bot | turns | median ms | p95 ms | mean ms |")
    print("| --- | --- | --- | --- | --- |")
    print("\n".join(rows))
    print(f"median ratio (this bot / bare): "
          f"{statistics.median(ours) / statistics.median(bare):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())

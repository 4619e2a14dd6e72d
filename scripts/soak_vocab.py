"""Soak: many messages of random words through a real bot's REST webhook.

    .venv/bin/python scripts/soak_vocab.py                  # 10,000 messages (make soak-vocab)
    .venv/bin/python scripts/soak_vocab.py --messages 1000 --every 100

Starts the real action server and Rasa server (``bot.servers.running_bot``, the
model of ``models/current`` unless ``--model``), sends ``--messages`` messages
of random lower-case "words" (3 to 10 letters, each message cut at
``--chars`` characters, so nearly every word is new to spaCy's vocabulary), one
after the other, a new sender every ``--per-sender`` messages (so that the
growth of one long conversation does not hide the vocabulary's), and every
``--every`` messages reports the Rasa process's resident memory (VmRSS) and
the turn latency of that block (median, p95, max), and how many times the
bounded spaCy provider reloaded its pipeline (``bot.nlp.bounded_spacy``, counted
from Rasa's log). The per-sender rate limit is off for the run (it is not what
is measured). Results: ``results/soak/<label>.json`` and ``.md``.

Not part of ``make test`` (about an hour for 10,000 messages); docs/security.md
has the figures before and after the bound.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import statistics
import string
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, List

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.servers import RunningBot, current_model, running_bot  # noqa: E402

RELOAD_LOG = "pipeline reloaded"


def random_message(rng: random.Random, chars: int) -> str:
    words: List[str] = []
    length = 0
    while True:
        word = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 10)))
        if length + len(word) + 1 > chars:
            return " ".join(words)
        words.append(word)
        length += len(word) + 1


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MB (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def post(bot: RunningBot, sender: str, text: str) -> int:
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(f"{bot.url}/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def percentile(values: List[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def soak(bot: RunningBot, log: Path, messages: int, every: int, per_sender: int,
         chars: int, seed: int) -> List[Dict[str, Any]]:
    assert bot.rasa_pid is not None
    rng = random.Random(seed)
    rows: List[Dict[str, Any]] = []
    started = time.monotonic()

    def report(sent: int, block: List[float], errors: int) -> None:
        row: Dict[str, Any] = {
            "messages": sent,
            "rss_mb": round(rss_mb(bot.rasa_pid), 1),
            "reloads": log.read_text(errors="replace").count(RELOAD_LOG),
            "minutes": round((time.monotonic() - started) / 60, 1),
            "errors": errors,
        }
        if block:
            row.update(p50_ms=round(statistics.median(block) * 1000),
                       p95_ms=round(percentile(block, 0.95) * 1000),
                       max_ms=round(max(block) * 1000))
        rows.append(row)
        print(json.dumps(row), flush=True)

    # Warm-up (two ordinary turns), then the starting point.
    post(bot, "soak-warmup", "my legs feel heavy")
    post(bot, "soak-warmup", "about 30 km a week")
    report(0, [], 0)
    block: List[float] = []
    errors = 0
    for number in range(1, messages + 1):
        sender = f"soak-{seed}-{(number - 1) // per_sender}"
        text = random_message(rng, chars)
        before = time.monotonic()
        status = post(bot, sender, text)
        block.append(time.monotonic() - before)
        errors += status != 200
        if number % every == 0 or number == messages:
            report(number, block, errors)
            block = []
    return rows


def markdown(label: str, model: str, rows: List[Dict[str, Any]]) -> str:
    lines = [f"# Vocabulary soak: {label}", "", f"model `{model}`", "",
             "| messages | Rasa RSS (MB) | p50 ms | p95 ms | max ms | pipeline reloads | errors |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for row in rows:
        lines.append(f"| {row['messages']:,} | {row['rss_mb']:.0f} | {row.get('p50_ms', '')} | "
                     f"{row.get('p95_ms', '')} | {row.get('max_ms', '')} | {row['reloads']} | "
                     f"{row['errors']} |")
    return "\n".join(lines) + "\n"


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--every", type=int, default=1_000)
    parser.add_argument("--per-sender", type=int, default=20)
    parser.add_argument("--chars", type=int, default=2_000,
                        help="each message's length (the channels cut at 2,000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--label", default="soak")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "soak")
    parser.add_argument("--max-new-strings", default=None,
                        help="BOT_SPACY_MAX_NEW_STRINGS for the Rasa server (default: its own)")
    args = parser.parse_args(argv)
    model = (args.model or current_model()).resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    workdir = ROOT / "build" / "soak" / args.label
    env = {"BOT_RATE_LIMIT_BURST": "0"}
    if args.max_new_strings is not None:
        env["BOT_SPACY_MAX_NEW_STRINGS"] = str(args.max_new_strings)
    print(f"soak {args.label}: {args.messages:,} messages, model {model.name}", flush=True)
    # SIGTERM stops the servers too (running_bot's cleanup runs on SystemExit).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with running_bot(workdir, model=model, extra_env=env) as bot:
        rows = soak(bot, workdir / "rasa.log", args.messages, args.every, args.per_sender,
                    args.chars, args.seed)
    (args.out / f"{args.label}.json").write_text(
        json.dumps({"label": args.label, "model": model.name, "rows": rows}, indent=1) + "\n")
    (args.out / f"{args.label}.md").write_text(markdown(args.label, model.name, rows))
    print(markdown(args.label, model.name, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Where a turn's time goes: py-spy on the Rasa server and the action server under load.

Starts this bot as the benchmark's ``sqlite`` set-up (or the bare ``rasa init``
bot with ``--setup bare``), drives RUNNERS simulated runners through the REST
webhook for SECONDS, and samples both servers with ``py-spy record`` (raw
collapsed stacks, idle frames dropped). Prints, per process, the share of samples
spent inside the functions that matter (NLU components, policies, tracker store,
action server calls, ...) and writes the collapsed stacks and flame graphs (SVG)
to ``results/bench/profile-*``. Figures only.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Dict, List

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench import (  # noqa: E402
    BARE_CONVERSATION,
    OUR_CONVERSATION,
    bare_bot,
    run_level,
    sqlite_bot,
)

# (label, substring of a frame "function (file:line)") - the first match in a stack
# from the leaf upwards names the sample's bucket, so order from specific to general.
BUCKETS = [
    ("tracker store: SQL (SQLAlchemy)", "sqlalchemy/"),
    ("tracker store: (de)serialising events", "rasa/shared/core/trackers.py"),
    ("action server calls (HTTP client)", "rasa/core/actions/action.py"),
    ("NLU: DIET / TensorFlow", "tensorflow/"),
    ("NLU: spaCy", "spacy/"),
    ("NLU: project components", "bot/nlu/"),
    ("NLU: Rasa featurizers", "rasa/nlu/featurizers/"),
    ("policies", "rasa/core/policies/"),
    ("project policy", "bot/policies/"),
    ("lock store", "rasa/core/lock_store.py"),
    ("project code", "/bot/"),
    ("actions (project)", "/actions/"),
    ("rasa_sdk", "rasa_sdk/"),
    ("sanic / HTTP server", "sanic/"),
    ("asyncio / event loop", "asyncio/"),
]


def bucket(stack: str) -> str:
    frames = stack.split(";")
    for frame in reversed(frames):
        for label, needle in BUCKETS:
            if needle in frame:
                return label
    return "other"


def summarise(raw: Path) -> List[str]:
    counts: Dict[str, int] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        counts[bucket(stack)] += int(n)
        total += int(n)
    return [f"  {label:45s} {n * 100 / total:5.1f}%  ({n} samples)"
            for label, n in counts.most_common()] if total else ["  no samples"]


def record(pid: int, out: Path, seconds: float, fmt: str) -> subprocess.Popen:
    py_spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy"
    return subprocess.Popen([py_spy, "record", "--pid", str(pid), "--duration", str(int(seconds)),
                             "--rate", "250", "--format", fmt, "--output", str(out),
                             "--nonblocking"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--setup", choices=["sqlite", "bare"], default="sqlite")
    parser.add_argument("--runners", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "bench")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    workdir = ROOT / "build" / "bench"
    workdir.mkdir(parents=True, exist_ok=True)

    def profile(pids: Dict[str, int], url: str, conversation: List[str]) -> None:
        asyncio.run(run_level(f"{url}/webhooks/rest/webhook", conversation, 2, 4.0))  # warm-up
        recorders = []
        for name, pid in pids.items():
            for fmt in ("raw", "flamegraph"):
                ext = "txt" if fmt == "raw" else "svg"
                path = args.out / f"profile-{args.setup}-{name}.{ext}"
                recorders.append((name, fmt, path, record(pid, path, args.seconds, fmt)))
        result: dict = {}
        thread = threading.Thread(target=lambda: result.update(level=asyncio.run(run_level(
            f"{url}/webhooks/rest/webhook", conversation, args.runners, args.seconds))))
        thread.start()
        thread.join()
        for name, fmt, path, proc in recorders:
            _, err = proc.communicate(timeout=120)
            if proc.returncode != 0:
                print(f"py-spy failed on {name}: {err.decode()[-500:]}")
            elif fmt == "raw":
                print(f"{name} (pid {pids[name]}): where the samples were, "
                      f"{args.runners} runner(s)")
                print("\n".join(summarise(path)))
        level = result.get("level")
        if level:
            print(f"load during the profile: p50 {level.p50_ms} ms, {level.throughput} turns/s, "
                  f"errors {level.errors}")

    # The same set-ups as `make bench` (this bot with the project's SQLite tracker store).
    starter, conversation = ((sqlite_bot, OUR_CONVERSATION) if args.setup == "sqlite"
                             else (bare_bot, BARE_CONVERSATION))
    with starter(workdir) as started:
        profile({kind: pids[0] for kind, pids in started.pids.items()}, started.url,
                conversation)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

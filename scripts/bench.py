"""`make bench`: simulated runners holding whole conversations through the REST webhook.

Four set-ups, one after another, in one run on one machine:

* ``bare``: a fresh ``rasa init`` bot (in-memory tracker store, no action server);
* ``bare1t``: the same with one TensorFlow thread, as this bot is served (so the
  ratio to it shows what the setting alone is worth);
* ``sqlite``: this bot as ``make run`` starts it (SQLite tracker store, action server
  with its token, the checked REST channel);
* ``cluster1``: this bot through nginx, PostgreSQL tracker store, atomic Redis lock
  store, 1 Rasa replica and 1 action server (scripts/cluster_up.sh);
* ``cluster2``: the same with 2 Rasa replicas and 2 action servers.

At each level of concurrent runners (1, 5, 10, 20, 50) every simulated runner
holds conversations back to back: it sends a turn, waits for the answer, "reads
and types" for a random 1 to 3 seconds (``--think``; people in a chat take
longer, so this is a heavy load per runner), and sends the next. Each
conversation has a new sender id. A level lasts ``--seconds`` and at least
``--min-turns`` answered turns. A final *saturation* level (``--saturation`` 50
runners, no think time, a closed loop) measures the most a set-up can serve:
that throughput is the one the capacity note and the 2-vs-1 replica target use.
A turn is an error when the request fails, times out (30 s), answers a status
other than 200, or answers nothing.

Writes ``results/bench/bench.md`` (the table), ``bench.json`` (every figure) and
``bench.png`` (median and p95 latency against concurrent runners), then prints
the table and the targets of issue 6. Figures only: the exit code is 0 whenever
the benchmark ran, whatever the figures (tests assert behaviour, not timings).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator, List, Sequence

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.servers import free_port, running_bot, stop_processes, wait_for  # noqa: E402

# A whole conversation with this bot: opening, the form's answers, the explanation
# (the same turns as tests/e2e/test_rest_conversation.py).
OUR_CONVERSATION = [
    "my legs have felt really heavy on my runs for the last two weeks",
    "about 40 km",
    "went from 24 to 40",
    "5 or 6 hours",
    "pretty balanced I think",
    "about 300 km on them",
]
# The rasa init bot's own stories: greet, mood, help, bye.
BARE_CONVERSATION = ["hello", "I am sad", "yes", "great", "bye", "hi"]
TIMEOUT_S = 30.0


@dataclass
class Level:
    runners: int
    think: str  # "1-3 s" or "none" (saturation)
    turns: int
    errors: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    throughput: float  # answered turns per second
    error_kinds: dict = field(default_factory=dict)


@dataclass
class Setup:
    name: str
    label: str
    levels: List[Level] = field(default_factory=list)
    # Resident memory after the run, MB per process: {"rasa": [..], "actions": [..]}.
    memory_mb: dict = field(default_factory=dict)


@dataclass
class Started:
    """A running set-up: its base URL and the pids of its Rasa and action servers."""

    url: str
    pids: dict = field(default_factory=dict)  # {"rasa": [pid, ...], "actions": [...]}


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def percentile(ordered: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list (0 for an empty one)."""
    if not ordered:
        return 0.0
    rank = max(0, min(len(ordered) - 1, round(q * len(ordered) + 0.5) - 1))
    return ordered[rank]


async def run_level(url: str, conversation: List[str], runners: int, seconds: float,
                    think: tuple[float, float] = (0.0, 0.0), min_turns: int = 0) -> Level:
    """``runners`` concurrent runners holding conversations for ``seconds`` (and
    until ``min_turns`` turns were answered), pausing ``think`` seconds between turns."""
    import random

    import aiohttp

    timings: List[float] = []
    error_kinds: dict[str, int] = {}
    started = time.perf_counter()

    def over() -> bool:
        return time.perf_counter() - started >= seconds and len(timings) >= min_turns
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)

    async def runner(session: aiohttp.ClientSession, index: int) -> None:
        if think[1] > 0:  # runners do not all start in the same millisecond
            await asyncio.sleep(random.uniform(0, think[1]))
        while not over():
            sender = f"bench-{index}-{secrets.token_hex(6)}"
            for text in conversation:
                if over():
                    return
                start = time.perf_counter()
                kind = None
                try:
                    async with session.post(url, json={"sender": sender, "message": text}) as resp:
                        body = await resp.read()
                        if resp.status != 200:
                            kind = f"HTTP {resp.status}"
                        elif not json.loads(body):
                            kind = "empty answer"
                except asyncio.TimeoutError:
                    kind = "timeout"
                except Exception as error:  # noqa: BLE001 - every failure is an error, by kind
                    kind = type(error).__name__
                if kind is None:
                    timings.append((time.perf_counter() - start) * 1000)
                else:
                    error_kinds[kind] = error_kinds.get(kind, 0) + 1
                    break  # a broken conversation is not continued
                if think[1] > 0:
                    await asyncio.sleep(random.uniform(*think))

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await asyncio.gather(*(runner(session, i) for i in range(runners)))
    elapsed = time.perf_counter() - started
    ordered = sorted(timings)
    return Level(
        runners=runners, think=f"{think[0]:g}-{think[1]:g} s" if think[1] > 0 else "none",
        turns=len(timings), errors=sum(error_kinds.values()),
        seconds=round(elapsed, 2),
        p50_ms=round(statistics.median(ordered), 1) if ordered else 0.0,
        p95_ms=round(percentile(ordered, 0.95), 1), p99_ms=round(percentile(ordered, 0.99), 1),
        throughput=round(len(timings) / elapsed, 2), error_kinds=error_kinds,
    )


def measure(setup: Setup, url: str, conversation: List[str], levels: Sequence[int],
            seconds: float, think: tuple[float, float], min_turns: int, saturation: int) -> None:
    webhook = f"{url}/webhooks/rest/webhook"
    # Warm-up: load the model's graph, the database connections, the action server.
    asyncio.run(run_level(webhook, conversation, 2, min(5.0, seconds)))
    plan = [(runners, think, min_turns) for runners in levels]
    if saturation:
        plan.append((saturation, (0.0, 0.0), 0))
    for runners, pause, turns in plan:
        level = asyncio.run(run_level(webhook, conversation, runners, seconds, pause, turns))
        setup.levels.append(level)
        print(f"  {setup.name:9s} {runners:3d} runners, think {level.think:7s}: "
              f"p50 {level.p50_ms:7.1f} ms  "
              f"p95 {level.p95_ms:7.1f}  p99 {level.p99_ms:7.1f}  {level.throughput:6.1f} turns/s  "
              f"errors {level.errors} {level.error_kinds or ''}", flush=True)


# --- the set-ups -------------------------------------------------------------------

def bare_bot_model(workdir: Path) -> Path:
    """The model of a fresh `rasa init` project (``rasa init`` trains it), made once."""
    bare = workdir / "bare_bot"
    models = sorted((bare / "models").glob("*.tar.gz"))
    if models:
        return models[-1]
    print("Creating and training a bare `rasa init` bot (once, a few minutes)...", flush=True)
    bare.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [sys.executable, "-m", "rasa", "init", "--no-prompt", "--init-dir", str(bare)],
        cwd=bare, capture_output=True, text=True)
    models = sorted((bare / "models").glob("*.tar.gz"))
    if result.returncode != 0 or not models:
        raise SystemExit("bench: rasa init failed:\n"
                         f"{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return models[-1]


TF_THREADS = ("TF_INTRA_OP_PARALLELISM_THREADS", "TF_INTER_OP_PARALLELISM_THREADS")


@contextlib.contextmanager
def bare_bot(workdir: Path, one_thread: bool = False) -> Iterator[Started]:
    model = bare_bot_model(workdir)
    port = free_port()
    log = workdir / "bare_rasa.log"
    env = {k: v for k, v in os.environ.items() if k not in TF_THREADS}
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    if one_thread:
        env.update({name: "1" for name in TF_THREADS})
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "rasa", "run", "--model", str(model), "--enable-api",
             "--interface", "127.0.0.1", "--port", str(port)],
            cwd=workdir / "bare_bot", stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        wait_for(f"http://127.0.0.1:{port}/status", process, log)
        yield Started(f"http://127.0.0.1:{port}", {"rasa": [process.pid]})
    finally:
        stop_processes([process])


@contextlib.contextmanager
def sqlite_bot(workdir: Path) -> Iterator[Started]:
    # The project's tracker store on SQLite, as `make run` configures it.
    store = workdir / "sqlite" / "tracker.db"
    store.parent.mkdir(parents=True, exist_ok=True)
    store.unlink(missing_ok=True)
    # The TensorFlow threads `make run` sets (scripts/run.sh).
    threads = {name: os.environ.get(name) or "1" for name in TF_THREADS}
    with running_bot(workdir / "sqlite", tracker_store_url=f"sqlite:///{store}",
                     extra_env=threads) as running:
        yield Started(running.url, {"rasa": [running.rasa_pid], "actions": [running.actions_pid]})


@contextlib.contextmanager
def cluster(workdir: Path, replicas: int) -> Iterator[Started]:
    cluster_dir = workdir / "cluster"
    port = free_port()
    env = dict(os.environ, CLUSTER_DIR=str(cluster_dir), RASA_REPLICAS=str(replicas),
               ACTION_REPLICAS=str(replicas), CLUSTER_PORT=str(port),
               CLUSTER_ACTIONS_PORT=str(free_port()), CLUSTER_PG_PORT=str(free_port()),
               CLUSTER_REDIS_PORT=str(free_port()), CLUSTER_WEB_PORT=str(free_port()),
               RASA_BASE_PORT="5600", ACTIONS_BASE_PORT="5650")
    down = [str(ROOT / "scripts" / "cluster_down.sh")]
    subprocess.run(down, env=env, cwd=ROOT, capture_output=True)
    up = subprocess.run([str(ROOT / "scripts" / "cluster_up.sh")], env=env, cwd=ROOT,
                        capture_output=True, text=True)
    try:
        if up.returncode != 0:
            raise SystemExit(f"bench: make cluster failed:\n{up.stdout[-2000:]}{up.stderr[-3000:]}")
        pids = {kind: [int((cluster_dir / "run" / f"{kind}{i}.pid").read_text())
                       for i in range(1, replicas + 1)] for kind in ("rasa", "actions")}
        yield Started(f"http://127.0.0.1:{port}", pids)
    finally:
        subprocess.run(down, env=env, cwd=ROOT, capture_output=True)


SETUPS = {
    "bare": ("bare `rasa init` bot (in-memory)", BARE_CONVERSATION),
    "bare1t": ("bare `rasa init` bot, 1 TensorFlow thread", BARE_CONVERSATION),
    "sqlite": ("this bot, SQLite (make run)", OUR_CONVERSATION),
    "cluster1": ("this bot, nginx + PostgreSQL + Redis, 1 replica", OUR_CONVERSATION),
    "cluster2": ("this bot, nginx + PostgreSQL + Redis, 2 replicas", OUR_CONVERSATION),
}


def start(name: str, workdir: Path) -> contextlib.AbstractContextManager[Started]:
    if name in ("bare", "bare1t"):
        return bare_bot(workdir, one_thread=name == "bare1t")
    if name == "sqlite":
        return sqlite_bot(workdir)
    return cluster(workdir, int(name[-1]))


# --- reporting ---------------------------------------------------------------------

def ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}x" if base else "n/a"


def table(setups: List[Setup]) -> str:
    bare = next((s for s in setups if s.name == "bare"), None)
    base = {(lv.runners, lv.think): lv for lv in bare.levels} if bare else {}
    lines = [
        "| set-up | runners | think time | turns | errors | p50 ms | p95 ms | p99 ms | turns/s "
        "| p50 vs bare | turns/s vs bare |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for setup in setups:
        for lv in setup.levels:
            ref = base.get((lv.runners, lv.think))
            lines.append(
                f"| {setup.label} | {lv.runners} | {lv.think} | {lv.turns} | {lv.errors} "
                f"| {lv.p50_ms:.1f} "
                f"| {lv.p95_ms:.1f} | {lv.p99_ms:.1f} | {lv.throughput:.1f} "
                f"| {ratio(lv.p50_ms, ref.p50_ms) if ref else 'n/a'} "
                f"| {ratio(lv.throughput, ref.throughput) if ref else 'n/a'} |")
    return "\n".join(lines)


def targets(setups: List[Setup]) -> List[str]:
    """The three targets of issue 6, each with its figures and met / missed."""
    by_name = {s.name: {lv.runners: lv for lv in s.levels if lv.think != "none"}
               for s in setups}
    saturated = {s.name: lv for s in setups for lv in s.levels if lv.think == "none"}
    out: List[str] = []

    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    ours = by_name.get("sqlite", {})
    for name in ("bare", "bare1t"):
        bare = by_name.get(name, {})
        if 1 in bare and 1 in ours:
            r = ours[1].p50_ms / bare[1].p50_ms
            out.append(f"median per-turn latency at 1 runner, this bot (SQLite) vs {name}: "
                       f"{ours[1].p50_ms:.1f} / {bare[1].p50_ms:.1f} ms = {r:.2f}x "
                       f"(target <= 1.5x): {verdict(r <= 1.5)}")
    for name in ("sqlite", "cluster1", "cluster2"):
        lv = by_name.get(name, {}).get(20)
        if lv:
            ok = lv.errors == 0 and lv.p95_ms < 400
            out.append(f"20 runners, {name}: {lv.errors} errors, p95 {lv.p95_ms:.1f} ms "
                       f"(target: no errors, p95 < 400 ms): {verdict(ok)}")
    one, two = saturated.get("cluster1"), saturated.get("cluster2")
    if one and two:
        r = two.throughput / one.throughput if one.throughput else 0.0
        out.append(f"throughput at saturation ({two.runners} runners, no think time), 2 replicas "
                   f"vs 1: {two.throughput:.1f} / {one.throughput:.1f} turns/s = {r:.2f}x "
                   f"(target >= 1.4x): {verdict(r >= 1.4)}")
    return out


def plot(setups: List[Setup], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_lat, ax_tp) = plt.subplots(1, 2, figsize=(12, 4.8))
    for setup in setups:
        levels = [lv for lv in setup.levels if lv.think != "none"]
        runners = [lv.runners for lv in levels]
        line = ax_lat.plot(runners, [lv.p50_ms for lv in levels], marker="o",
                           label=f"{setup.label} p50")[0]
        ax_lat.plot(runners, [lv.p95_ms for lv in levels], marker="x", linestyle="--",
                    color=line.get_color(), label=f"{setup.name} p95")
        ax_tp.plot(runners, [lv.throughput for lv in levels], marker="o",
                   color=line.get_color(), label=setup.label)
        for lv in setup.levels:
            if lv.think == "none":
                ax_tp.scatter([lv.runners], [lv.throughput], marker="*", s=90,
                              color=line.get_color())
    ax_lat.axhline(400, color="grey", linewidth=0.8, linestyle=":")
    ax_lat.set(xscale="log", yscale="log", xlabel="concurrent runners",
               ylabel="per-turn latency (ms)", title="Latency (p50 solid, p95 dashed)")
    ax_tp.set(xscale="log", xlabel="concurrent runners", ylabel="answered turns per second",
              title="Throughput (star: saturation, no think time)")
    for ax in (ax_lat, ax_tp):
        ax.set_xticks([1, 5, 10, 20, 50])
        ax.get_xaxis().set_major_formatter(matplotlib.ticker.ScalarFormatter())
        ax.grid(True, which="both", alpha=0.3)
    ax_lat.legend(fontsize=6)
    ax_tp.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--setups", default="bare,bare1t,sqlite,cluster1,cluster2")
    parser.add_argument("--levels", default="1,5,10,20,50")
    parser.add_argument("--seconds", type=float, default=15.0, help="measured time per level")
    parser.add_argument("--min-turns", type=int, default=30,
                        help="answered turns per level, at least")
    parser.add_argument("--think", default="1,3", help="think time between turns: MIN,MAX seconds")
    parser.add_argument("--saturation", type=int, default=50,
                        help="runners of the final closed-loop level (0: none)")
    parser.add_argument("--workdir", type=Path, default=ROOT / "build" / "bench")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "bench")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.setups.split(",") if n.strip()]
    unknown = [n for n in names if n not in SETUPS]
    if unknown:
        parser.error(f"unknown set-up(s) {unknown}; choose from {sorted(SETUPS)}")
    levels = [int(n) for n in args.levels.split(",")]
    low, high = (float(x) for x in args.think.split(","))
    args.workdir.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)

    setups: List[Setup] = []
    began = time.time()
    for name in names:
        label, conversation = SETUPS[name]
        print(f"{label}:", flush=True)
        setup = Setup(name, label)
        with start(name, args.workdir) as running:
            measure(setup, running.url, conversation, levels, args.seconds, (low, high),
                    args.min_turns, args.saturation)
            setup.memory_mb = {kind: [rss_mb(pid) for pid in pids]
                               for kind, pids in running.pids.items()}
            print(f"  resident memory, MB per process: {setup.memory_mb}", flush=True)
        setups.append(setup)

    header = (f"{time.strftime('%Y-%m-%d %H:%M')} on {os.cpu_count()} cores, "
              f"{args.seconds:.0f} s and at least {args.min_turns} turns per level, think time "
              f"{low:g}-{high:g} s between turns, then {args.saturation} runners without think "
              f"time (saturation); the load generator shares the machine. "
              f"Conversation: {len(OUR_CONVERSATION)} turns "
              f"(bare bot: its own {len(BARE_CONVERSATION)}-turn greet/mood story).")
    memory = [f"* {s.label}: " + ", ".join(f"{kind} {' + '.join(f'{m:.0f}' for m in mbs)} MB"
                                           for kind, mbs in s.memory_mb.items())
              for s in setups]
    report = "\n".join([f"# Benchmark ({header})", "", table(setups), "", "Targets:", ""]
                       + [f"* {line}" for line in targets(setups)]
                       + ["", "Resident memory after the run (per process):", ""] + memory)
    (args.out / "bench.md").write_text(report + "\n")
    (args.out / "bench.json").write_text(json.dumps(
        {"header": header, "setups": [asdict(s) for s in setups]}, indent=2))
    plot(setups, args.out / "bench.png")
    print()
    print(report)
    print(f"\nWritten: {args.out / 'bench.md'}, bench.json, bench.png "
          f"({time.time() - began:.0f} s in all)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

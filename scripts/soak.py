"""A soak of the local cluster: steady load for a long time, then is anything creeping?

    .venv/bin/python scripts/soak.py                 # make soak: 30 minutes
    .venv/bin/python scripts/soak.py --minutes 1     # a smoke run
    .venv/bin/python scripts/soak.py --url http://127.0.0.1:8088 --cluster-dir var/cluster

Without ``--url`` it starts its own cluster (scripts/cluster_up.sh: nginx, 2 Rasa
replicas, 2 action servers, PostgreSQL, Redis) in a temporary directory on free ports
and stops it afterwards. Runners' conversations arrive at a fixed rate (open loop:
``--rate`` turns a second, by default half the two-replica saturation throughput
measured in docs/performance.md, 34.6 turns/s) through nginx's REST webhook; each
runner goes through the questions and the explanation, then a new runner starts.

Every ``--sample`` seconds the resident memory (VmRSS) and open files of every process
of the cluster (Rasa replicas, action servers, the page server, nginx's master and
workers, redis-server, PostgreSQL's postmaster) are read from /proc. The gates, printed
and in results/soak/soak.json (with soak.md and soak.png):

* no errors (every turn answered 200 with at least one message);
* p95 latency of the last window within 25% (+20 ms) of the first window's;
* each process's resident memory and open files in the last window within 5% of the
  first window's (windows: the first and last five minutes, or fifths of a shorter run,
  after a warm-up of 10% of the run that fills caches and pools).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.servers import free_port, port_block  # noqa: E402

SATURATION_TWO_REPLICAS = 34.6  # turns/s, docs/performance.md
SCRIPT = (
    "my legs feel heavy and tired on my runs",
    "about {km} km a week",
    "went up from {prev} to {km} over the last month",
    "{sleep} hours a night",
    "normal food, plenty of pasta",
    "about {shoe} km on my shoes",
    "not sure",
    "thanks, what should I do first?",
)


def percentile(values: List[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def processes(cluster_dir: Path) -> Dict[str, int]:
    """name -> pid of every process of the cluster."""
    found: Dict[str, int] = {}
    for pidfile in sorted((cluster_dir / "run").glob("*.pid")):
        found[pidfile.stem] = int(pidfile.read_text().split()[0])
    nginx_pid = cluster_dir / "nginx/nginx.pid"
    if nginx_pid.exists():
        master = int(nginx_pid.read_text().split()[0])
        found["nginx-master"] = master
        children = Path(f"/proc/{master}/task/{master}/children")
        # workers are replaced on every reload (the watcher reloads nginx when a replica
        # leaves or rejoins the rotation): measured together, by role, not by pid
        for i, child in enumerate(children.read_text().split() if children.exists() else []):
            found[f"nginx-workers#{i}"] = int(child)
    postmaster = cluster_dir / "pg/postmaster.pid"
    if postmaster.exists():
        found["postgres"] = int(postmaster.read_text().split()[0])
    return found


def sample(pids: Dict[str, int]) -> Dict[str, Dict[str, float]]:
    out: Dict[str, Dict[str, float]] = {}
    for name, pid in pids.items():
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            rss_kb = next(
                int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")
            )
            files = len(os.listdir(f"/proc/{pid}/fd"))
        except (OSError, StopIteration):
            continue
        role = name.split("#")[0]
        if role in out:
            out[role]["rss_mb"] += rss_kb / 1024
            out[role]["open_files"] += files
        else:
            out[role] = {"rss_mb": rss_kb / 1024, "open_files": files}
    return out


async def runner(
    session: aiohttp.ClientSession, url: str, turns: list, queue: asyncio.Queue
) -> None:
    """Take a turn slot from the queue, say the next line of the current runner's script."""
    sender, step, values = None, 0, {}
    while True:
        slot = await queue.get()
        if slot is None:
            return
        if sender is None or step >= len(SCRIPT):
            sender, step = f"soak-{random.getrandbits(48):012x}", 0
            km = random.randint(20, 70)
            values = {
                "km": km,
                "prev": max(5, km - random.randint(5, 20)),
                "sleep": random.randint(5, 9),
                "shoe": random.randint(100, 900),
            }
        text = SCRIPT[step].format(**values)
        started = time.monotonic()
        status, ok, error = 0, False, ""
        try:
            async with session.post(
                f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}
            ) as reply:
                status = reply.status
                ok = status == 200 and bool(await reply.json())
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as caught:
            ok, error = False, type(caught).__name__
        turns.append(
            {
                "t": started,
                "latency_ms": (time.monotonic() - started) * 1000,
                "status": status,
                "ok": ok,
                "error": error,
            }
        )
        step += 1


async def drive(
    url: str,
    rate: float,
    seconds: float,
    cluster_dir: Path,
    every: float,
    samples: list,
    turns: list,
    backlog: list,
) -> None:
    queue: asyncio.Queue = asyncio.Queue()
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        workers = [
            asyncio.create_task(runner(session, url, turns, queue))
            for _ in range(max(8, int(rate * 2)))
        ]
        start = time.monotonic()
        next_sample, issued = start, 0
        while (now := time.monotonic()) - start < seconds:
            due = int((now - start) * rate)
            for _ in range(due - issued):
                queue.put_nowait(1)
            issued = due
            if now >= next_sample:
                pids = processes(cluster_dir)
                samples.append({"t": now, "processes": await asyncio.to_thread(sample, pids)})
                next_sample += every
            await asyncio.sleep(0.01)
        left = 0
        while not queue.empty():  # issued but not started by the end: not sent
            queue.get_nowait()
            left += 1
        backlog.append(left)
        for _ in workers:
            queue.put_nowait(None)
        await asyncio.gather(*workers)


def window_stats(turns: list, samples: list, lo: float, hi: float) -> Dict[str, Any]:
    latencies = [t["latency_ms"] for t in turns if lo <= t["t"] < hi and t["ok"]]
    per_process: Dict[str, Dict[str, float]] = {}
    chosen = [s for s in samples if lo <= s["t"] < hi]
    names = {name for s in chosen for name in s["processes"]}
    for name in names:
        values = [s["processes"][name] for s in chosen if name in s["processes"]]
        # memory: the window's mean; open files: its lowest (sockets come and go with the
        # requests in flight; a leak raises the floor)
        per_process[name] = {
            "rss_mb": statistics.mean(v["rss_mb"] for v in values),
            "open_files": min(v["open_files"] for v in values),
        }
    return {
        "turns": len(latencies),
        "p50_ms": percentile(latencies, 0.5),
        "p95_ms": percentile(latencies, 0.95),
        "processes": per_process,
    }


def judge(first: Dict[str, Any], last: Dict[str, Any], errors: int) -> List[str]:
    failures = []
    if errors:
        failures.append(f"{errors} turns failed")
    if last["p95_ms"] > first["p95_ms"] * 1.25 + 20:
        failures.append(f"p95 grew from {first['p95_ms']:.0f} to {last['p95_ms']:.0f} ms")
    for name, before in first["processes"].items():
        after = last["processes"].get(name)
        if after is None:
            failures.append(f"{name} disappeared")
            continue
        for key in ("rss_mb", "open_files"):
            if after[key] > before[key] * 1.05 + (0.5 if key == "open_files" else 0):
                failures.append(f"{name} {key} grew {before[key]:.1f} -> {after[key]:.1f} (> 5%)")
    return failures


def plot(turns: list, samples: list, start: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
    buckets: Dict[int, List[float]] = {}
    for turn in turns:
        buckets.setdefault(int((turn["t"] - start) // 30), []).append(turn["latency_ms"])
    xs = sorted(buckets)
    ax1.plot([x / 2 for x in xs], [percentile(buckets[x], 0.95) for x in xs], label="p95")
    ax1.plot([x / 2 for x in xs], [percentile(buckets[x], 0.5) for x in xs], label="p50")
    ax1.set_ylabel("turn latency, ms (30 s buckets)")
    ax1.legend()
    names = sorted({name for s in samples for name in s["processes"]})
    for name in names:
        points = [
            ((s["t"] - start) / 60, s["processes"][name]["rss_mb"])
            for s in samples
            if name in s["processes"]
        ]
        ax2.plot([p[0] for p in points], [p[1] for p in points], label=name)
    ax2.set_yscale("log")
    ax2.set_ylabel("resident memory, MB (log)")
    ax2.set_xlabel("minutes")
    ax2.legend(fontsize=7, ncol=3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def start_cluster() -> tuple[Dict[str, str], Path]:
    directory = Path(tempfile.mkdtemp(prefix="heavylegs-soak-"))
    directory.chmod(0o755)
    ports = [free_port() for _ in range(5)]

    env = dict(
        os.environ,
        CLUSTER_DIR=str(directory),
        RASA_REPLICAS="2",
        ACTION_REPLICAS="2",
        CLUSTER_PORT=str(ports[0]),
        CLUSTER_ACTIONS_PORT=str(ports[1]),
        CLUSTER_PG_PORT=str(ports[2]),
        CLUSTER_REDIS_PORT=str(ports[3]),
        CLUSTER_WEB_PORT=str(ports[4]),
        RASA_BASE_PORT=str(port_block(2)),
        ACTIONS_BASE_PORT=str(port_block(2)),
    )
    subprocess.run([str(ROOT / "scripts/cluster_up.sh")], env=env, cwd=ROOT, check=True)
    return env, directory


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument(
        "--rate",
        type=float,
        default=round(SATURATION_TWO_REPLICAS / 2, 1),
        help="turns per second (default: half the measured capacity)",
    )
    parser.add_argument("--url", help="an already running cluster's nginx (with --cluster-dir)")
    parser.add_argument("--cluster-dir", type=Path)
    parser.add_argument("--sample", type=float, default=10.0, help="seconds between samples")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "soak")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="a short run: fail only on errors (growth is reported, not gated)",
    )
    args = parser.parse_args(argv)
    if bool(args.url) != bool(args.cluster_dir):
        parser.error("--url and --cluster-dir go together")
    env = None
    if args.url:
        url, cluster_dir = args.url.rstrip("/"), args.cluster_dir
    else:
        env, cluster_dir = start_cluster()
        url = f"http://127.0.0.1:{env['CLUSTER_PORT']}"
    seconds = args.minutes * 60
    turns: list = []
    samples: list = []
    backlog: list = []
    watch_log = ""
    try:
        started = time.monotonic()
        asyncio.run(
            drive(url, args.rate, seconds, cluster_dir, args.sample, samples, turns, backlog)
        )
    finally:
        watch = cluster_dir / "logs" / "watch.log"
        watch_log = watch.read_text() if watch.exists() else ""
        if env is not None:
            subprocess.run([str(ROOT / "scripts/cluster_down.sh")], env=env, cwd=ROOT)
            shutil.rmtree(cluster_dir, ignore_errors=True)
    warm = started + 0.1 * seconds
    width = min(300.0, (seconds - 0.1 * seconds) / 5)
    end = started + seconds
    first = window_stats(turns, samples, warm, warm + width)
    last = window_stats(turns, samples, end - width, end + 1)
    errors = sum(not t["ok"] for t in turns)
    failed = [
        {
            "at_s": round(t["t"] - started, 1),
            "status": t["status"],
            "error": t["error"],
            "latency_ms": round(t["latency_ms"]),
        }
        for t in turns
        if not t["ok"]
    ]
    rotation = [line for line in watch_log.splitlines() if "rotation" in line]
    failures = judge(first, last, errors)
    if args.smoke:  # too short for growth to mean anything: only errors fail it
        notes = [f for f in failures if "turns failed" not in f]
        failures = [f for f in failures if "turns failed" in f]
        if notes:
            print("smoke run, not gated: " + "; ".join(notes))
    args.out.mkdir(parents=True, exist_ok=True)
    report = {
        "minutes": args.minutes,
        "rate_target": args.rate,
        "rate_served": round(len(turns) / seconds, 2),
        "turns": len(turns),
        "errors": errors,
        "window_s": width,
        "first": first,
        "last": last,
        "failures": failures,
        "not_sent_at_end": backlog[0] if backlog else 0,
        "failed_turns": failed[:50],
        "rotation_changes": rotation,
    }
    (args.out / "soak.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [
        f"# Soak: {args.minutes:g} min at {args.rate:g} turns/s (served {report['rate_served']})",
        "",
        f"turns {len(turns)}, errors {errors}; windows of {width:.0f} s after a "
        f"{0.1 * seconds:.0f} s warm-up",
        "",
        "| | first window | last window |",
        "| --- | ---: | ---: |",
        f"| p50 ms | {first['p50_ms']:.0f} | {last['p50_ms']:.0f} |",
        f"| p95 ms | {first['p95_ms']:.0f} | {last['p95_ms']:.0f} |",
    ]
    for name in sorted(first["processes"]):
        before, after = first["processes"][name], last["processes"].get(name, {})
        lines.append(
            f"| {name} RSS MB / open files | {before['rss_mb']:.1f} / "
            f"{before['open_files']:.0f} | {after.get('rss_mb', float('nan')):.1f} / "
            f"{after.get('open_files', float('nan')):.0f} |"
        )
    lines += ["", f"replicas leaving or rejoining nginx's rotation: {len(rotation)}"]
    lines += [
        f"failed turn at {f['at_s']} s: status {f['status']} {f['error']}" for f in failed[:10]
    ]
    lines += ["", "PASS" if not failures else "FAIL: " + "; ".join(failures)]
    (args.out / "soak.md").write_text("\n".join(lines) + "\n")
    try:
        plot(turns, samples, started, args.out / "soak.png")
    except ImportError:
        pass
    print("\n".join(lines))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())

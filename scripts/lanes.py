"""Run test suites in parallel lanes, for `make test` (docs/testing.md, "Lanes").

    python scripts/lanes.py --lane "tests/robustness tests/storage" \\
                            --lane "tests/e2e tests/channels tests/web"

Each lane runs its pytest suites one after the other (``python -m pytest <suite> -q``),
the lanes side by side. The server-bound suites spend much of their time waiting
(for a model to load, for a turn, for a timeout), so two lanes on a 2-core machine
finish sooner than one. Each lane gets its own range of TCP ports
(``TEST_PORT_RANGE``, read by ``bot.servers.free_port``), so servers started by two
lanes at once can never be handed the same port. Each line of output is prefixed
with its lane; every suite's exit status and time is summed up at the end, and the
exit status is non-zero if any suite failed (pytest's 5, "no tests collected",
included: a suite that runs nothing is a failure here).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import List, Sequence

# Below Linux's ephemeral range (32768-60999), so the kernel never hands these out
# for outgoing connections either.
PORT_BASE = 20000
PORTS_PER_LANE = 3000


@dataclass
class Result:
    suite: str
    status: int
    seconds: float
    # pytest's one-line "FAILED tests/...: reason" / "ERROR ..." summary lines, repeated
    # at the end so a CI log cut to its tail still says which tests failed.
    failures: List[str] = field(default_factory=list)


@dataclass
class Lane:
    name: str
    suites: List[str]
    ports: str
    results: List[Result] = field(default_factory=list)


def run_lane(lane: Lane, lock: threading.Lock) -> None:
    env = {**os.environ, "TEST_PORT_RANGE": lane.ports, "PYTHONUNBUFFERED": "1"}
    for suite in lane.suites:
        started = time.monotonic()
        with lock:
            print(f"[{lane.name}] python -m pytest {suite} -q", flush=True)
        process = subprocess.Popen(
            [sys.executable, "-m", "pytest", *suite.split(), "-q"], env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace",
        )
        assert process.stdout is not None
        failures: List[str] = []
        for line in process.stdout:
            if line.startswith(("FAILED ", "ERROR ")):
                failures.append(line.rstrip()[:300])
            with lock:
                sys.stdout.write(f"[{lane.name}] {line}")
                sys.stdout.flush()
        status = process.wait()
        lane.results.append(Result(suite, status, time.monotonic() - started, failures))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lane", action="append", required=True,
                        help="pytest suites run one after the other, separated by spaces "
                             "(a suite with its own options: 'tests/x::y')")
    args = parser.parse_args(argv)
    lanes = [
        Lane(name=f"lane{i + 1}", suites=spec.split(),
             ports=f"{PORT_BASE + i * PORTS_PER_LANE}-{PORT_BASE + (i + 1) * PORTS_PER_LANE - 1}")
        for i, spec in enumerate(args.lane)
    ]
    lock = threading.Lock()
    started = time.monotonic()
    threads = [threading.Thread(target=run_lane, args=(lane, lock)) for lane in lanes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(f"\nlanes: {time.monotonic() - started:.0f} s in all")
    failed = False
    for lane in lanes:
        for result in lane.results:
            ok = result.status == 0
            failed |= not ok
            outcome = "passed" if ok else f"FAILED (exit {result.status})"
            print(f"  {lane.name} {result.suite}: {outcome} in {result.seconds:.0f} s")
            for failure in result.failures:
                print(f"    {failure}")
        if len(lane.results) < len(lane.suites):
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

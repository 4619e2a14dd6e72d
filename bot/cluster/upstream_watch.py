"""Take Rasa replicas that are not ready out of nginx's rotation, and put them back.

    python -m bot.cluster.upstream_watch --servers-file DIR/nginx/rasa_servers.conf \
        --nginx-prefix DIR/nginx --replica 127.0.0.1:5201 --replica 127.0.0.1:5202

Open-source nginx has no active health checks: it only notices a dead replica when a
request fails (and then tries the next one). This watcher asks each replica's readiness
check (``/webhooks/health/ready``: model, database, action server, Redis) every
``--interval`` seconds, and after ``--fall`` failures in a row marks the replica ``down``
in the file that nginx's ``upstream rasa`` block includes, then reloads nginx (a graceful
reload: open connections finish). After ``--rise`` successes in a row it is put back, so
a restarted replica rejoins once its model is loaded, not when its port opens.

With ``hash ... consistent`` routing only the conversations pinned to the replica that
left move to another one. If no replica is ready, all are kept in rotation (a replica
without its action server still escalates warning signs, so failing open beats a 502
from nginx for everyone).
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Sequence

READY_PATH = "/webhooks/health/ready"


@dataclass
class Replica:
    address: str  # host:port
    up: bool = True
    streak: int = 0  # consecutive results that disagree with ``up``


def probe(address: str, timeout: float) -> bool:
    try:
        with urllib.request.urlopen(f"http://{address}{READY_PATH}", timeout=timeout) as reply:
            return reply.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def servers_block(replicas: Sequence[Replica]) -> str:
    """The lines nginx includes in ``upstream rasa``: every replica, the not-ready ones down.

    ``max_fails=0``: nginx itself never benches a replica for failed requests (it still
    tries the next one for that request); this watcher decides, from readiness.
    """
    keep_all = not any(replica.up for replica in replicas)
    lines = []
    for replica in replicas:
        down = "" if replica.up or keep_all else " down"
        lines.append(f"server {replica.address} max_fails=0{down};")
    return "\n".join(lines) + "\n"


class Watcher:
    def __init__(
        self,
        replicas: Sequence[str],
        servers_file: Path,
        reload: Callable[[], bool],
        fall: int = 2,
        rise: int = 2,
        timeout: float = 3.0,
        check: Callable[[str, float], bool] = probe,
        log=None,
    ) -> None:
        self.replicas = [Replica(address) for address in replicas]
        self.servers_file, self.reload = servers_file, reload
        self.fall, self.rise, self.timeout, self.check = fall, rise, timeout, check
        self._log = log or (lambda line: print(line, file=sys.stderr, flush=True))
        self.written = servers_file.read_text() if servers_file.exists() else ""

    def log(self, message: str) -> None:
        self._log(f"upstream_watch {time.strftime('%H:%M:%S')}: {message}")

    def round(self) -> None:
        """One probe of every replica; rewrite and reload when the rotation changes."""
        for replica in self.replicas:
            ready = self.check(replica.address, self.timeout)
            if ready == replica.up:
                replica.streak = 0
                continue
            replica.streak += 1
            if replica.streak >= (self.rise if ready else self.fall):
                replica.up, replica.streak = ready, 0
                state = "ready: back in rotation" if ready else "not ready: out of rotation"
                self.log(f"{replica.address} {state}")
        block = servers_block(self.replicas)
        if block != self.written:
            if not any(replica.up for replica in self.replicas):
                self.log("no replica is ready: all kept in rotation")
            self.servers_file.write_text(block)
            self.written = block
            if not self.reload():
                self.log("nginx reload failed")

    def states(self) -> Dict[str, bool]:
        return {replica.address: replica.up for replica in self.replicas}


def nginx_reloader(prefix: Path) -> Callable[[], bool]:
    def reload() -> bool:
        command = [
            "nginx",
            "-p",
            str(prefix),
            "-e",
            str(prefix / "error.log"),
            "-c",
            str(prefix / "nginx.conf"),
            "-s",
            "reload",
        ]
        return subprocess.run(command, capture_output=True).returncode == 0

    return reload


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--servers-file", type=Path, required=True)
    parser.add_argument("--nginx-prefix", type=Path, required=True)
    parser.add_argument("--replica", action="append", required=True, metavar="HOST:PORT")
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--fall", type=int, default=3)
    parser.add_argument("--rise", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=5.0)
    args = parser.parse_args(argv)
    watcher = Watcher(
        args.replica,
        args.servers_file,
        nginx_reloader(args.nginx_prefix),
        fall=args.fall,
        rise=args.rise,
        timeout=args.timeout,
    )
    stopping: List[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _frame: stopping.append(signum))
    signal.signal(signal.SIGINT, lambda signum, _frame: stopping.append(signum))
    watcher.log(f"watching {', '.join(args.replica)} every {args.interval:.1f} s")
    while not stopping:
        watcher.round()
        time.sleep(args.interval)
    return 0


if __name__ == "__main__":
    sys.exit(main())

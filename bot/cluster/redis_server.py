"""Start a throw-away redis-server (tests, benchmarks): temp dir, free local port."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from bot.servers import free_port, stop_processes

REDIS_SERVER = "/usr/bin/redis-server"


def redis_binary() -> str:
    found = shutil.which("redis-server") or (REDIS_SERVER if Path(REDIS_SERVER).exists() else None)
    if not found:
        raise RuntimeError("redis-server is not installed (make redis installs it)")
    return found


@contextmanager
def running_redis(workdir: Path | None = None) -> Iterator[int]:
    """A redis-server on 127.0.0.1 and a free port, no persistence; yields the port."""
    own_dir = workdir is None
    root = Path(tempfile.mkdtemp(prefix="heavylegs-redis-")) if own_dir else workdir
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = root / "redis.log"
    process = subprocess.Popen(
        [redis_binary(), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(root),
         "--save", "", "--appendonly", "no", "--protected-mode", "yes",
         "--logfile", str(log), "--daemonize", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    try:
        import redis

        client = redis.Redis(host="127.0.0.1", port=port)
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                output = log.read_text() if log.exists() else ""
                raise RuntimeError(f"redis-server exited: {output}")
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        client.close()
        yield port
    finally:
        stop_processes([process])
        if own_dir:
            shutil.rmtree(root, ignore_errors=True)

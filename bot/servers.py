"""Starting the real action server and Rasa server, for tests and benchmarks."""

from __future__ import annotations

import os
import random
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

ROOT = Path(__file__).resolve().parent.parent

# Sanic settings for every Rasa server the project starts (scripts/run.sh,
# scripts/cluster_up.sh, deploy/; docs/security.md). Sanic reads SANIC_* variables
# when Rasa creates its app: bodies over REQUEST_MAX_SIZE are refused with 413 from
# their Content-Length (or as soon as a chunked body passes it) before they are
# read, and a client that takes longer than REQUEST_TIMEOUT seconds between two
# pieces of its request headers is cut off (Sanic's defaults: 100 MB, 60 s). Only
# the Rasa server gets them: the action server receives whole trackers from Rasa.
RASA_SANIC_SETTINGS = {"SANIC_REQUEST_MAX_SIZE": "1048576", "SANIC_REQUEST_TIMEOUT": "15"}

# The chat-page session secret of each running bot, by its URL (test helpers such as
# tests/robustness/chat_client.py sign conversation ids with it).
_SESSION_SECRETS: dict[str, str] = {}


def session_secret_for(url: str) -> str | None:
    """The BOT_SESSION_SECRET of the bot this process started at ``url``, if any."""
    return _SESSION_SECRETS.get(url.rstrip("/"))


_HANDED_OUT: set[int] = set()
_MIGRATING = threading.Lock()


def free_port() -> int:
    """A free TCP port on 127.0.0.1 for a server a test starts.

    Inside ``TEST_PORT_RANGE`` ("20000-22999", set per lane by scripts/lanes.py) when
    it is set, so that suites running side by side never pick the same port; else
    one the kernel chooses. A port is not handed out twice by one process.
    """
    span = os.environ.get("TEST_PORT_RANGE", "")
    if span:
        low, high = (int(part) for part in span.split("-"))
        for _ in range(200):
            port = random.randint(low, high)
            if port in _HANDED_OUT:
                continue
            with socket.socket() as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    continue
            _HANDED_OUT.add(port)
            return port
        raise RuntimeError(f"no free port in TEST_PORT_RANGE={span}")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_block(size: int) -> int:
    """A base port whose next ``size`` ports are free (for numbered replicas: base+1, ...)."""
    for _ in range(50):
        base = free_port()
        if base + size >= 65535:
            continue
        try:
            for offset in range(1, size + 1):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", base + offset))
            return base
        except OSError:
            continue
    raise RuntimeError("no free port block")


def current_model() -> Path:
    return ROOT / "models" / (ROOT / "models" / "current").read_text().strip()


def wait_for(url: str, process: subprocess.Popen, log: Path, timeout: float = 180.0,
             headers: dict[str, str] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early; log:\n{log.read_text()[-4000:]}")
        try:
            request = urllib.request.Request(url, headers=headers or {})
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} not up after {timeout}s; log:\n{log.read_text()[-4000:]}")


def stop_processes(processes: Sequence[subprocess.Popen], timeout: float = 10) -> None:
    """Ask each process to stop (in the given order), then kill any that won't."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()


@dataclass
class RunningBot:
    url: str
    token: str | None
    action_url: str
    actions_token: str | None = None  # the action server's shared token (ACTIONS_TOKEN)
    rasa_pid: int | None = None  # for profilers (scripts/bench_profile.py)
    actions_pid: int | None = None
    session_secret: str | None = None  # BOT_SESSION_SECRET (chat-page conversation tokens)
    rasa_log: Path | None = None  # the Rasa server's output


@contextmanager
def running_bot(
    workdir: Path,
    model: Path | None = None,
    token: str | None = None,
    with_actions: bool = True,
    credentials: Path | None = None,
    extra_env: dict[str, str] | None = None,
    extra_args: Sequence[str] = (),
    tracker_store_url: str | None = None,
    lock_store: dict | None = None,
    actions_token: str | None = None,
    jwt_secret: str | None = None,
    action_port: int | None = None,
    session_secret: str | None = None,
) -> Iterator[RunningBot]:
    """Run an action server and a Rasa server (REST + HTTP API) on free local ports.

    ``credentials`` replaces the project's credentials.yml (e.g. to add channels
    pointed at local fake APIs), ``extra_env`` is added to both servers'
    environment and ``extra_args`` to ``rasa run``'s command line.

    ``tracker_store_url`` (a SQLAlchemy URL, SQLite or PostgreSQL) puts the
    conversations (bot.storage's tracker store) and the project's tables
    (``DATABASE_URL`` for the action server, migrated to head first) in that
    database. Without it the tracker store is ``workdir/tracker.db`` as before,
    and the project's tables go to the same file.

    ``lock_store`` (a mapping, e.g. ``{"type": "bot.cluster.lock_store.AtomicRedisLockStore",
    "url": "127.0.0.1", "port": 6379}``) is written as the endpoints' ``lock_store``;
    without it Rasa uses its in-memory lock store as before.

    The action server (``bot.security.action_server``) requires a shared token;
    ``actions_token`` (default: a random one) is given to both servers as
    ``ACTIONS_TOKEN`` and Rasa sends it as ``Authorization: Bearer ...``.

    ``jwt_secret`` starts Rasa with ``--jwt-secret ... --jwt-method HS256`` (HTTP API
    callers then need ``Authorization: Bearer <jwt>``, see bot.security.api_token).
    ``action_port`` fixes the action endpoint's port (e.g. with ``with_actions=False``
    and a test's own fake action server listening there).

    The Rasa server (only) gets ``RASA_SANIC_SETTINGS`` (unless the environment or
    ``extra_env`` sets them) and ``BOT_SESSION_SECRET``: ``session_secret``, else
    ``extra_env``'s, else a random one; ``RunningBot.session_secret`` and
    :func:`session_secret_for` give it to tests.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    actions_token = actions_token or secrets.token_urlsafe(24)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONUNBUFFERED="1",
               SANIC_HOST="127.0.0.1", ACTIONS_TOKEN=actions_token, **(extra_env or {}))
    # Unquoted: Rasa expands ${VAR} only in plain YAML scalars.
    action_headers = '  headers:\n    Authorization: Bearer ${ACTIONS_TOKEN}\n'
    processes: list[subprocess.Popen] = []
    action_port, rasa_port = action_port or free_port(), free_port()
    endpoints = workdir / "endpoints.yml"
    if tracker_store_url is None:
        endpoints.write_text(
            f'action_endpoint:\n  url: "http://127.0.0.1:{action_port}/webhook"\n'
            + action_headers
            + 'tracker_store:\n  type: SQL\n  dialect: "sqlite"\n'
            + f'  db: "{workdir / "tracker.db"}"\n'
        )
        database_url = f"sqlite:///{workdir / 'tracker.db'}"
    else:
        import yaml

        from bot.storage.endpoints import tracker_store_config

        endpoints.write_text(yaml.safe_dump({
            "action_endpoint": {"url": f"http://127.0.0.1:{action_port}/webhook",
                                "headers": {"Authorization": "Bearer ${ACTIONS_TOKEN}"}},
            "tracker_store": tracker_store_config(tracker_store_url),
        }, sort_keys=False))
        database_url = tracker_store_url
    if lock_store is not None:
        import yaml

        with endpoints.open("a") as out:
            out.write(yaml.safe_dump({"lock_store": dict(lock_store)}, sort_keys=False))
    if "DATABASE_URL" not in (extra_env or {}):
        env["DATABASE_URL"] = database_url
    if with_actions:
        from bot.storage.migrate import upgrade

        with _MIGRATING:  # alembic's context is global: one upgrade at a time per process
            upgrade(env["DATABASE_URL"])
    try:
        if with_actions:
            action_log = workdir / "actions.log"
            actions = subprocess.Popen(
                [sys.executable, "-m", "bot.security.action_server", "--actions", "actions",
                 "--host", "127.0.0.1", "--port", str(action_port)],
                cwd=ROOT, env=env, stdout=action_log.open("w"), stderr=subprocess.STDOUT,
            )
            processes.append(actions)
            # not waited for here: both servers start together (a start-up takes
            # ~35 s, most of it loading; on two cores the two loads overlap)
        rasa_log = workdir / "rasa.log"
        command = [
            sys.executable, "-m", "rasa", "run", "--model", str(model or current_model()),
            "--enable-api", "--interface", "127.0.0.1", "--port", str(rasa_port),
            "--endpoints", str(endpoints),
            "--credentials", str(credentials or ROOT / "credentials.yml"),
            *extra_args,
        ]
        if token:
            command += ["--auth-token", token]
        status_headers: dict[str, str] = {}
        if jwt_secret:
            from bot.security.api_token import mint

            command += ["--jwt-secret", jwt_secret, "--jwt-method", "HS256"]
            status_headers["Authorization"] = f"Bearer {mint(jwt_secret, ttl_seconds=600)}"
        session_secret = (session_secret or (extra_env or {}).get("BOT_SESSION_SECRET")
                          or secrets.token_urlsafe(32))
        rasa_env = {**RASA_SANIC_SETTINGS, **env, "BOT_SESSION_SECRET": session_secret}
        rasa = subprocess.Popen(
            command, cwd=ROOT, env=rasa_env, stdout=rasa_log.open("w"), stderr=subprocess.STDOUT
        )
        processes.append(rasa)
        if with_actions:
            wait_for(f"http://127.0.0.1:{action_port}/health", processes[0], action_log)
        url = f"http://127.0.0.1:{rasa_port}"
        _SESSION_SECRETS[url] = session_secret
        wait_for(f"http://127.0.0.1:{rasa_port}/", rasa, rasa_log)
        # The root answers before the model is loaded; wait for /status (needs the token).
        status = f"http://127.0.0.1:{rasa_port}/status" + (f"?token={token}" if token else "")
        wait_for(status, rasa, rasa_log, headers=status_headers)
        yield RunningBot(
            url=f"http://127.0.0.1:{rasa_port}",
            token=token,
            action_url=f"http://127.0.0.1:{action_port}",
            actions_token=actions_token,
            rasa_pid=rasa.pid,
            actions_pid=processes[0].pid if with_actions else None,
            session_secret=session_secret,
            rasa_log=rasa_log,
        )
    finally:
        stop_processes(list(reversed(processes)), timeout=20)
        _SESSION_SECRETS.pop(f"http://127.0.0.1:{rasa_port}", None)

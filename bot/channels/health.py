"""Readiness and liveness of a Rasa replica, as a channel: ``/webhooks/health/ready`` and ``/live``.

Referenced from credentials.yml as ``bot.channels.health.HealthInput``. A Rasa server
has only ``/`` (alive, says nothing about its parts) and ``/status`` (needs the API
token, and only says the model is loaded). Readiness here means this replica can run a
whole turn:

* ``model``: the agent is loaded (processor and tracker store in place);
* ``database``: the tracker store's database answers ``SELECT 1``;
* ``actions``: the action server answers its ``/health``;
* ``lock_store``: Redis answers ``PING`` (only when the lock store is Redis).

``/ready`` answers 200 with ``{"ready": true, "checks": {...}}`` when all pass and
503 with the failing ones marked ``unavailable`` otherwise (no error text: it is a
public URL; the reasons are logged). Each check has ``CHECK_TIMEOUT`` seconds, and a
result is reused for ``CACHE_SECONDS``, so probes from nginx's watcher and Kubernetes
cannot load the database. ``/live`` answers 200 as long as the process serves requests:
it touches nothing, so a slow database never gets a replica restarted.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Awaitable, Callable, Dict, Tuple

import aiohttp
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

CHECK_TIMEOUT = 2.0
CACHE_SECONDS = 1.0


def _innermost(store: Any) -> Any:
    """The tracker store under Rasa's wrappers (AwaitableTrackerStore, ...)."""
    seen = 0
    while hasattr(store, "_tracker_store") and seen < 5:
        store = store._tracker_store
        seen += 1
    return store


def _database_ok(store: Any) -> None:
    engine = getattr(_innermost(store), "engine", None)
    if engine is None:
        return  # an in-memory tracker store has no database to lose
    import sqlalchemy as sa

    with engine.connect() as connection:
        connection.execute(sa.text("SELECT 1"))


def _redis_ok(lock_store: Any) -> None:
    client = getattr(lock_store, "red", None)
    if client is not None:
        client.ping()


async def _actions_ok(agent: Any) -> None:
    endpoint = getattr(agent, "action_endpoint", None)
    url = getattr(endpoint, "url", None)
    if not url:
        return  # no action server configured
    base = url.rsplit("/webhook", 1)[0] if url.rstrip("/").endswith("/webhook") else url.rstrip("/")
    timeout = aiohttp.ClientTimeout(total=CHECK_TIMEOUT)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        async with session.get(f"{base}/health") as reply:
            if reply.status != 200:
                raise RuntimeError(f"action server /health answered {reply.status}")


async def _in_thread(function: Callable[[Any], None], argument: Any) -> None:
    loop = asyncio.get_running_loop()
    await asyncio.wait_for(loop.run_in_executor(None, function, argument), CHECK_TIMEOUT)


async def readiness(agent: Any) -> Dict[str, str]:
    """Each check's result: ``ok`` or ``unavailable`` (the reason goes to the log)."""
    if agent is None or not agent.is_ready():
        return {"model": "unavailable", "database": "unknown", "actions": "unknown"}
    checks: Dict[str, Awaitable[None]] = {
        "database": _in_thread(_database_ok, agent.tracker_store),
        "actions": asyncio.wait_for(_actions_ok(agent), CHECK_TIMEOUT + 0.5),
    }
    if getattr(agent.lock_store, "red", None) is not None:
        checks["lock_store"] = _in_thread(_redis_ok, agent.lock_store)
    results = await asyncio.gather(*checks.values(), return_exceptions=True)
    status = {"model": "ok"}
    for name, result in zip(checks, results, strict=True):
        if isinstance(result, BaseException):
            logger.warning(
                "readiness: %s unavailable: %s", name, type(result).__name__ + f": {result}"[:200]
            )
            status[name] = "unavailable"
        else:
            status[name] = "ok"
    return status


class HealthInput(InputChannel):
    """``GET /webhooks/health/ready`` (503 unless every part answers) and ``/live``."""

    @classmethod
    def name(cls) -> str:
        return "health"

    def __init__(self) -> None:
        self._cached: Tuple[float, Dict[str, str]] | None = None
        self._lock: asyncio.Lock | None = None

    async def _status(self, agent: Any) -> Dict[str, str]:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:  # one round of checks at a time, however many probes
            now = time.monotonic()
            if self._cached and now - self._cached[0] < CACHE_SECONDS:
                return self._cached[1]
            status = await readiness(agent)
            self._cached = (time.monotonic(), status)
            return status

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        health = Blueprint("health_webhook", __name__)

        @health.route("/ready", methods=["GET"])
        async def ready(request: Request) -> HTTPResponse:
            status = await self._status(getattr(request.app.ctx, "agent", None))
            is_ready = all(value == "ok" for value in status.values())
            return response.json(
                {"ready": is_ready, "checks": status},
                status=200 if is_ready else 503,
                headers={"Cache-Control": "no-store"},
            )

        @health.route("/live", methods=["GET"])
        async def live(_request: Request) -> HTTPResponse:
            return response.json({"live": True}, headers={"Cache-Control": "no-store"})

        return health

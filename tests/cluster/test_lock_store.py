"""The atomic ticket lock store against a real redis-server, next to Rasa's own
RedisLockStore under the same races."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path

import pytest
import redis
from rasa.core.lock_store import LockStore, RedisLockStore

from bot.cluster.lock_store import AtomicRedisLockStore

ROOT = Path(__file__).resolve().parents[2]
REQUESTS = 200
REPLICAS = 4


def stores(cls, port: int, count: int = REPLICAS):
    """One store per simulated replica, each with its own connection pool."""
    return [cls(host="127.0.0.1", port=port, db=1) for _ in range(count)]


def record_numbers(client: redis.Redis, conversation_id: str) -> list[int]:
    raw = client.get("lock:" + conversation_id)
    if raw is None:
        return []
    return [json.loads(t)["number"] for t in json.loads(raw)["tickets"]]


async def issue_concurrently(replicas, conversation_id: str, count: int) -> list[int]:
    return list(await asyncio.gather(*(
        asyncio.to_thread(replicas[i % len(replicas)].issue_ticket, conversation_id)
        for i in range(count)
    )))


def test_concurrent_tickets_are_unique_consecutive_and_queued_in_order(
    redis_port: int, redis_client: redis.Redis,
) -> None:
    replicas = stores(AtomicRedisLockStore, redis_port)
    tickets = asyncio.run(issue_concurrently(replicas, "runner-1", REQUESTS))
    first = min(tickets)  # one counter for every conversation: numbers go on rising
    assert sorted(tickets) == list(range(first, first + REQUESTS))
    # The lock record holds every ticket, in the order they were issued.
    assert record_numbers(redis_client, "runner-1") == list(range(first, first + REQUESTS))
    # Rasa's reader understands the record.
    lock = replicas[0].get_lock("runner-1")
    assert lock is not None and lock.now_serving == first and len(lock.tickets) == REQUESTS


def test_rasa_store_gives_one_ticket_number_twice_when_reads_interleave(
    redis_port: int, redis_client: redis.Redis,
) -> None:
    """Deterministic RasaHQ/rasa#9213: both replicas read the lock before either writes."""
    barrier = threading.Barrier(2, timeout=10)
    replicas = stores(RedisLockStore, redis_port, 2)
    for store in replicas:
        read = store.get_lock

        def get_lock_then_wait(conversation_id, read=read):
            lock = read(conversation_id)
            barrier.wait()
            return lock

        store.get_lock = get_lock_then_wait
    results: list[int] = []
    threads = [threading.Thread(target=lambda s=s: results.append(s.issue_ticket("runner-2")))
               for s in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [0, 0]  # the same ticket for two messages
    assert record_numbers(redis_client, "runner-2") == [0]  # and one of them is lost


def test_atomic_store_under_the_same_interleaving(
    redis_port: int, redis_client: redis.Redis,
) -> None:
    barrier = threading.Barrier(2, timeout=10)
    replicas = stores(AtomicRedisLockStore, redis_port, 2)
    for store in replicas:
        def no_client_side_read(conversation_id):
            raise AssertionError("issue_ticket must not read the lock on the client")

        store.get_lock = no_client_side_read
    results: list[int] = []

    def issue(store):
        barrier.wait()
        results.append(store.issue_ticket("runner-2"))

    threads = [threading.Thread(target=issue, args=(s,)) for s in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    first = min(results)
    assert sorted(results) == [first, first + 1]
    assert record_numbers(redis_client, "runner-2") == [first, first + 1]


def run_locked_increments(store, port: int, conversation_id: str, count: int) -> None:
    """One replica: `count` concurrent turns, each a read-modify-write under the lock."""
    client = redis.Redis(host="127.0.0.1", port=port, db=2)

    async def turn() -> None:
        async with store.lock(conversation_id, wait_time_in_seconds=0.005):
            inside = client.incr("inside")
            client.set("max_inside", max(inside, int(client.get("max_inside") or 0)))
            value = int(client.get("counter") or 0)
            await asyncio.sleep(0.002)
            client.set("counter", value + 1)
            client.decr("inside")

    async def main() -> None:
        await asyncio.gather(*(turn() for _ in range(count)))

    asyncio.run(main())
    client.close()


def test_lock_gives_mutual_exclusion_across_replicas(
    redis_port: int, redis_client: redis.Redis,
) -> None:
    counters = redis.Redis(host="127.0.0.1", port=redis_port, db=2)
    counters.flushdb()
    per_replica = 40
    replicas = stores(AtomicRedisLockStore, redis_port, 3)
    threads = [threading.Thread(target=run_locked_increments,
                                args=(store, redis_port, "runner-3", per_replica))
               for store in replicas]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert time.monotonic() - started < 120
    assert int(counters.get("counter")) == per_replica * len(replicas)
    assert int(counters.get("max_inside")) == 1
    # Everything was cleaned up: no record left, the counter goes on.
    assert redis_client.get("lock:runner-3") is None
    assert replicas[0].issue_ticket("runner-3") == per_replica * len(replicas) + 1
    counters.close()


def test_finishing_keeps_tickets_issued_meanwhile_and_expired_ones_go(
    redis_port: int, redis_client: redis.Redis,
) -> None:
    a, b = stores(AtomicRedisLockStore, redis_port, 2)
    first = a.issue_ticket("runner-4")
    second = b.issue_ticket("runner-4")
    a.cleanup("runner-4", first)
    assert record_numbers(redis_client, "runner-4") == [second]
    assert not b.get_lock("runner-4").is_locked(second)
    b.cleanup("runner-4", second)
    assert redis_client.get("lock:runner-4") is None
    short = a.issue_ticket("runner-4", lock_lifetime=0.05)
    time.sleep(0.1)
    a.update_lock("runner-4")
    assert redis_client.get("lock:runner-4") is None
    assert a.issue_ticket("runner-4") == short + 1  # never a number twice
    assert 0 < redis_client.ttl("lock:runner-4") <= 60 + 60
    # one counter for all conversations, no key per conversation left behind (Redis
    # does not grow with the number of conversations: the soak's memory gate)
    assert redis_client.ttl("lockticket") == -1
    assert not redis_client.keys("lockticket:*")


def test_key_prefix_and_odd_conversation_ids(redis_port: int, redis_client: redis.Redis) -> None:
    store = AtomicRedisLockStore(host="127.0.0.1", port=redis_port, db=1, key_prefix="heavylegs")
    odd = 'runner "5" / é:lockticket:x'
    first = store.issue_ticket(odd)
    assert [store.issue_ticket(odd) for _ in range(2)] == [first + 1, first + 2]
    assert store.get_lock(odd).conversation_id == odd
    assert redis_client.exists("heavylegs:lock:" + odd)
    assert redis_client.exists("heavylegs:lockticket")


def test_rasa_builds_it_from_the_cluster_endpoints_file(
    redis_port: int, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from rasa.core.utils import AvailableEndpoints

    monkeypatch.setenv("CLUSTER_REDIS_PORT", str(redis_port))
    monkeypatch.setenv("CLUSTER_ACTIONS_PORT", "1")
    monkeypatch.setenv("CLUSTER_PG_PORT", "1")
    monkeypatch.setenv("DATABASE_PASSWORD", "x")
    monkeypatch.setenv("REDIS_PASSWORD", "")
    monkeypatch.setenv("ACTIONS_TOKEN", "t" * 32)
    endpoints = AvailableEndpoints.read_endpoints(str(ROOT / "deploy/local/endpoints.yml"))
    store = LockStore.create(endpoints.lock_store)
    assert isinstance(store, AtomicRedisLockStore)
    assert store.poll_interval == pytest.approx(0.05)
    assert store.red.connection_pool.connection_kwargs["port"] == redis_port
    first = store.issue_ticket("runner-6")
    assert store.issue_ticket("runner-6") == first + 1
    assert store.key_prefix == "heavylegs:lock:"
    assert endpoints.action.url == "http://127.0.0.1:1/webhook"
    assert endpoints.action.headers == {"Authorization": "Bearer " + "t" * 32}
    assert endpoints.tracker_store.kwargs["password"] == "x"

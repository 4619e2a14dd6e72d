"""A Redis ticket lock store whose every change to a lock is atomic.

Rasa 3.6's ``RedisLockStore`` issues a ticket with a read-modify-write from the
client: ``GET`` the lock record, append ``last_issued + 1`` in Python, ``SET`` it
back (``LockStore.issue_ticket``). Two replicas that do this for the same
conversation at the same moment both read the same record, both take the same
number and the second ``SET`` overwrites the first: two messages of one
conversation are then processed at once and the tracker store loses or mixes
events (RasaHQ/rasa#9213). ``finish_serving``, ``update_lock`` and ``cleanup`` have
the same kind of race (a ticket issued between another replica's read and write
is dropped, or the whole record is deleted under a waiting ticket).

``AtomicRedisLockStore`` keeps Rasa's record format (a JSON ``TicketLock`` under
``<prefix>lock:<conversation id>``, so ``get_lock``, ``is_someone_waiting`` and the
waiting loop are Rasa's), but every change runs as one Lua script inside Redis,
which executes scripts one at a time:

* issuing: ``INCR`` of one counter for all conversations (``<prefix>lockticket``,
  never reset and never expiring, so a number is never handed out twice, not even
  after a lock record was deleted; numbers still rise within each conversation) and
  the append of the ticket to the record, in the same script, so queue order is ticket
  order. (A counter per conversation, kept 24 hours, made Redis grow with every
  conversation of the day: the 30-minute soak measured +5.6%.)
* finishing a ticket, dropping expired tickets and deleting an empty record:
  one script each, so a ticket issued meanwhile by another replica is never lost.

Endpoints (``deploy/local/endpoints.yml``)::

    lock_store:
      type: bot.cluster.lock_store.AtomicRedisLockStore
      url: 127.0.0.1          # or host; also port, db, password, key_prefix, use_ssl
      port: 6379
      db: 1
      poll_interval: 0.05     # seconds between checks while waiting (Rasa: 1)
"""

from __future__ import annotations

import logging
import math
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator

from rasa.core.lock import TicketLock
from rasa.core.lock_store import (
    DEFAULT_REDIS_LOCK_STORE_KEY_PREFIX,
    LOCK_LIFETIME,
    LockError,
    RedisLockStore,
)
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

DEFAULT_POLL_INTERVAL = 0.05
# A lock record is kept this long after its newest ticket expires (crash cleanup).
RECORD_GRACE_SECONDS = 60

# Keeps the ticket strings of a record that have not expired and are not `drop`.
_LUA_COMMON = """
local function live_tickets(raw, now, drop)
  local kept = {}
  if not raw then return kept end
  local record = cjson.decode(raw)
  local tickets = record["tickets"]
  if type(tickets) ~= "table" then return kept end
  for _, encoded in ipairs(tickets) do
    local ticket = cjson.decode(encoded)
    if tonumber(ticket["expires"]) >= now and tonumber(ticket["number"]) ~= drop then
      table.insert(kept, encoded)
    end
  end
  return kept
end

local function store(key, conversation_id, kept, ttl)
  if #kept == 0 then
    redis.call("DEL", key)
    return
  end
  local body = cjson.encode({conversation_id = conversation_id, tickets = "@@T@@"})
  body = string.gsub(body, '"@@T@@"', function() return cjson.encode(kept) end)
  redis.call("SET", key, body, "EX", ttl)
end
"""

# KEYS: record, counter. ARGV: now, lifetime, (unused), conversation id, grace.
_ISSUE = _LUA_COMMON + """
local now = tonumber(ARGV[1])
local lifetime = tonumber(ARGV[2])
local kept = live_tickets(redis.call("GET", KEYS[1]), now, nil)
local number = redis.call("INCR", KEYS[2])
table.insert(kept, string.format('{"number": %d, "expires": %.6f}', number, now + lifetime))
store(KEYS[1], ARGV[4], kept, math.ceil(lifetime) + tonumber(ARGV[5]))
return number
"""

# KEYS: record. ARGV: now, ticket number to drop (or -1), conversation id, ttl.
# Drops the ticket and the expired ones, deletes the record when nothing is left,
# returns the number of tickets still waiting.
_RELEASE = _LUA_COMMON + """
local raw = redis.call("GET", KEYS[1])
if not raw then return 0 end
local kept = live_tickets(raw, tonumber(ARGV[1]), tonumber(ARGV[2]))
local ttl = redis.call("TTL", KEYS[1])
if ttl < 1 then ttl = tonumber(ARGV[4]) end
store(KEYS[1], ARGV[3], kept, ttl)
return #kept
"""


class AtomicRedisLockStore(RedisLockStore):
    """Rasa's Redis ticket lock store with atomic, server-side lock changes."""

    def __init__(
        self,
        endpoint_config: EndpointConfig | None = None,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        **kwargs: Any,
    ) -> None:
        """Built by Rasa from the endpoints file (``endpoint_config``) or directly
        with ``RedisLockStore``'s keyword arguments (``host``, ``port``, ...)."""
        if endpoint_config is not None:
            options = dict(endpoint_config.kwargs)
            poll_interval = float(options.pop("poll_interval", poll_interval))
            options.pop("type", None)
            if endpoint_config.url:
                options.setdefault("host", endpoint_config.url)
            kwargs = {**options, **kwargs}
        super().__init__(**kwargs)
        self.poll_interval = float(poll_interval)
        self.counter_key = (
            self.key_prefix[: -len(DEFAULT_REDIS_LOCK_STORE_KEY_PREFIX)] + "lockticket"
        )
        self._issue = self.red.register_script(_ISSUE)
        self._release = self.red.register_script(_RELEASE)

    def _keys(self, conversation_id: str) -> list[str]:
        return [self.key_prefix + conversation_id, self.counter_key]

    def issue_ticket(
        self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME
    ) -> int:
        """Issue the next ticket for ``conversation_id`` (atomic INCR + append)."""
        try:
            return int(self._issue(
                keys=self._keys(conversation_id),
                args=[repr(time.time()), repr(float(lock_lifetime)), 0,
                      conversation_id, RECORD_GRACE_SECONDS],
            ))
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def _release_ticket(self, conversation_id: str, ticket_number: int) -> int:
        return int(self._release(
            keys=self._keys(conversation_id)[:1],
            args=[repr(time.time()), ticket_number, conversation_id,
                  math.ceil(LOCK_LIFETIME) + RECORD_GRACE_SECONDS],
        ))

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        """Remove the ticket (and expired ones); delete the record if none is left."""
        self._release_ticket(conversation_id, ticket_number)

    def update_lock(self, conversation_id: str) -> None:
        """Remove expired tickets, atomically."""
        self._release_ticket(conversation_id, -1)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Finish the ticket and delete the record when no one waits, in one step."""
        remaining = self._release_ticket(conversation_id, ticket_number)
        if not remaining:
            self._log_deletion(conversation_id, True)

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float | None = None,
    ) -> AsyncGenerator[TicketLock, None]:
        """Rasa's ``lock``, polling every ``poll_interval`` seconds by default."""
        wait = self.poll_interval if wait_time_in_seconds is None else wait_time_in_seconds
        ticket = self.issue_ticket(conversation_id, lock_lifetime)
        try:
            yield await self._acquire_lock(conversation_id, ticket, wait)
        finally:
            self.cleanup(conversation_id, ticket)

"""Running one Rasa turn for any channel, and telling the runner when part of it failed.

Every channel (REST, Telegram, Slack, the chat page's socket.io) hands its
checked message to :func:`guarded_turn` instead of calling Rasa's
``on_new_message`` directly. It

* notices when a custom action failed during *this* turn (action server down or
  refusing the token). Rasa 3.6 does not tell the channel: the processor logs
  "Encountered an exception while running action ..." on ``rasa.core.processor``,
  drops the action's events and carries on. A logging handler on that logger
  marks a per-turn list held in a ``contextvars.ContextVar``; context variables
  follow the awaiting task, so concurrent turns (other runners, other channels)
  never see each other's marks;
* catches an exception that escapes the turn (a 500 for REST, a redelivery loop
  for Telegram, a silent page for socket.io) and logs its type only, never the
  message text;
* runs the turn inside ``bot.storage.outage.watch_storage``, which collects the
  storage problems the tracker store reports (conversation not loaded or not
  saved, docs/storage.md);
* then sends, through the message's own output channel, what the runner needs:
  ``FAILURE_REPLY`` when the turn broke, otherwise the storage note
  (``bot.storage.outage.storage_note``), ``STEP_FAILED_NOTE`` when an action
  failed and ``CLIPPED_NOTE`` when the text was cut (texts in
  ``bot/security/input.py``).

Before all that it asks the per-conversation rate limit
(``bot.security.rate_limit``): a message over the limit is not run, and the
runner gets ``RATE_LIMITED_REPLY`` (wait a few seconds, send it again, and the
safety advice) instead: for every refused message when the channel asks for it
(REST, the chat page: a cheap answer to that request or socket), otherwise only
for the first refusal since the conversation's last accepted message (Telegram,
Slack: each answer is an outbound API call, so a flood must not become one).
"""

from __future__ import annotations

import contextvars
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, List

from rasa.core.channels.channel import UserMessage

from bot.security.input import CLIPPED_NOTE, FAILURE_REPLY, RATE_LIMITED_REPLY, STEP_FAILED_NOTE
from bot.security.rate_limit import rate_limiter
from bot.storage.outage import storage_note, watch_storage

logger = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]

ACTION_FAILED_LOG = "Encountered an exception while running action"
PROCESSOR_LOGGER = "rasa.core.processor"

# Set per turn: a list that receives a mark when Rasa's processor logs that an
# action failed during this turn (None outside a guarded turn).
_turn_failures: contextvars.ContextVar[List[str] | None] = contextvars.ContextVar(
    "turn_failures", default=None
)


class _ActionFailureWatcher(logging.Handler):
    """Notes, for the current turn, that Rasa's processor lost an action's events."""

    def emit(self, record: logging.LogRecord) -> None:
        failures = _turn_failures.get()
        if failures is not None and ACTION_FAILED_LOG in str(record.msg):
            failures.append(record.name)


def install_watcher() -> None:
    """Attach the watcher to Rasa's processor logger (once per process).

    Also builds the rate limiter, so that a bad ``BOT_RATE_LIMIT_*`` setting stops
    the server at start (every channel calls this from its blueprint).
    """
    rate_limiter()
    processor_logger = logging.getLogger(PROCESSOR_LOGGER)
    if not any(isinstance(h, _ActionFailureWatcher) for h in processor_logger.handlers):
        processor_logger.addHandler(_ActionFailureWatcher(level=logging.ERROR))


@dataclass
class TurnOutcome:
    """How a turn went, as far as the runner needs to know."""

    step_failed: bool = False  # a custom action failed; its answers may not be noted
    error: str | None = None  # the type of an exception that ended the turn
    storage: str | None = None  # the note on a conversation not loaded or not saved
    rate_limited: bool = False  # over the conversation's rate limit: not run
    retry_after: float = 0.0  # when rate_limited: seconds until a message is accepted


def notes_for(outcome: TurnOutcome, clipped: bool = False) -> List[str]:
    """The texts to send after the turn's own answers."""
    if outcome.error is not None:
        return [FAILURE_REPLY]
    notes: List[str] = [outcome.storage] if outcome.storage else []
    if outcome.step_failed:
        notes.append(STEP_FAILED_NOTE)
    if clipped:
        notes.append(CLIPPED_NOTE)
    return notes


async def run_turn(on_new_message: OnNewMessage, message: UserMessage,
                   channel: str) -> TurnOutcome:
    """Run one turn; never raises (an exception becomes ``TurnOutcome.error``)."""
    install_watcher()
    failures: List[str] = []
    token = _turn_failures.set(failures)
    try:
        with watch_storage() as problems:
            await on_new_message(message)
    except Exception as error:  # noqa: BLE001 - the channel answers, never crashes
        logger.error("%s turn failed: %s", channel, type(error).__name__)
        return TurnOutcome(step_failed=bool(failures), error=type(error).__name__)
    finally:
        _turn_failures.reset(token)
    if failures:
        logger.warning("%s turn: a custom action failed; the runner is told", channel)
    return TurnOutcome(step_failed=bool(failures), storage=storage_note(problems))


async def send_notes(message: UserMessage, notes: List[str], channel: str) -> None:
    """Send ``notes`` to the message's sender through its own output channel."""
    for note in notes:
        try:
            await message.output_channel.send_text_message(message.sender_id, note)
        except Exception as error:  # noqa: BLE001 - a failed note must not break the channel
            logger.error("%s: could not send a note: %s", channel, type(error).__name__)


async def guarded_turn(on_new_message: OnNewMessage, message: UserMessage,
                       clipped: bool = False,
                       notify_every_refusal: bool = False) -> TurnOutcome:
    """Run one turn and send the notes it calls for (see the module docstring).

    A message over the conversation's rate limit is not run (``rate_limited``);
    ``notify_every_refusal`` says the refusal to every such message, otherwise
    only to the first since the conversation's last accepted one.
    """
    channel = message.input_channel or "channel"
    decision = rate_limiter().check(message.sender_id)
    if not decision.allowed:
        if decision.first_refusal:  # once per spell: a flood must not flood the log
            logger.warning("%s: a conversation is over its rate limit; its messages are "
                           "refused for now", channel)
        if notify_every_refusal or decision.first_refusal:
            await send_notes(message, [RATE_LIMITED_REPLY], channel)
        return TurnOutcome(rate_limited=True, retry_after=decision.retry_after)
    outcome = await run_turn(on_new_message, message, channel)
    await send_notes(message, notes_for(outcome, clipped), channel)
    return outcome

"""One real bot (action server + Rasa) with Telegram and Slack on, pointed at local fakes.

The credentials file is built the way ``make run`` builds it
(``bot.channels.credentials`` from credentials.yml and channels/*.yml) with the
channel variables set to the fakes; the bot reads them from its environment.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest

from bot.channels import credentials
from bot.servers import ROOT, RunningBot, running_bot
from tests.channels.fakes import Call, FakeSlack, FakeTelegram

TELEGRAM_TOKEN = "7012345678:AAF-fake_token_for_tests-0123456789x"
TELEGRAM_NAME = "heavy_legs_test_bot"
TELEGRAM_SECRET = "s3cret-" + secrets.token_hex(12)
SLACK_TOKEN = "xoxb-1111-2222-" + secrets.token_hex(8)
SLACK_SIGNING_SECRET = secrets.token_hex(16)
TURN_TIMEOUT = 90.0


@dataclass
class Response:
    status: int
    body: bytes
    headers: Dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)


def post(url: str, body: bytes, headers: Dict[str, str], timeout: float = TURN_TIMEOUT
         ) -> Response:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return Response(answer.status, answer.read(), dict(answer.headers))
    except urllib.error.HTTPError as error:
        return Response(error.code, error.read(), dict(error.headers))


def get(url: str) -> Response:
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return Response(answer.status, answer.read(), dict(answer.headers))
    except urllib.error.HTTPError as error:
        return Response(error.code, error.read(), dict(error.headers))


@dataclass
class Bot:
    running: RunningBot
    telegram: FakeTelegram
    slack: FakeSlack
    env: Dict[str, str]
    credentials_text: str
    rasa_log: Path | None = None  # the Rasa server's log (stdout and stderr)

    def tracker(self, sender: str) -> Dict[str, Any]:
        quoted = urllib.parse.quote(sender, safe="")
        response = get(f"{self.running.url}/conversations/{quoted}/tracker"
                       f"?token={self.running.token}")
        assert response.status == 200, response.body
        return response.json()

    def user_turns(self, sender: str) -> int:
        return sum(1 for event in self.tracker(sender)["events"] if event["event"] == "user")

    def wait_for_turns(self, sender: str, turns: int, timeout: float = TURN_TIMEOUT) -> None:
        """Wait until the tracker holds ``turns`` user messages (saved once a turn is over)."""
        deadline = time.monotonic() + timeout
        while self.user_turns(sender) < turns:
            if time.monotonic() > deadline:
                raise AssertionError(f"{sender}: fewer than {turns} user turns after {timeout}s")
            time.sleep(0.2)


@contextmanager
def running_fakes() -> Iterator[Tuple[FakeTelegram, FakeSlack]]:
    """The local fake Telegram Bot API and Slack Web API, stopped afterwards."""
    telegram = FakeTelegram(TELEGRAM_TOKEN, username=TELEGRAM_NAME).start()
    slack = FakeSlack(SLACK_TOKEN).start()
    try:
        yield telegram, slack
    finally:
        telegram.stop()
        slack.stop()


@pytest.fixture(scope="session")
def fakes() -> Iterator[Tuple[FakeTelegram, FakeSlack]]:
    with running_fakes() as both:
        yield both


@contextmanager
def start_channel_bot(workdir: Path, telegram: FakeTelegram, slack: FakeSlack,
                      with_actions: bool = True) -> Iterator[Bot]:
    """A real bot (Rasa, and the action server unless ``with_actions`` is False)
    with Telegram and Slack on, pointed at ``telegram`` and ``slack``."""
    # The webhook URL is only registered (Telegram would call it); tests post to the bot.
    env = {
        "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
        "TELEGRAM_BOT_NAME": TELEGRAM_NAME,
        "TELEGRAM_WEBHOOK_URL": "https://heavy-legs.example.org/webhooks/telegram/webhook",
        "TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET,
        "TELEGRAM_API_URL": telegram.url,
        "SLACK_BOT_TOKEN": SLACK_TOKEN,
        "SLACK_SIGNING_SECRET": SLACK_SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
    }
    built = credentials.build(ROOT / "credentials.yml", ROOT / "channels", env)
    assert built.enabled == ["slack", "telegram"], built.notes
    path = workdir / "credentials.yml"
    credentials.write(built.text, path)
    token = secrets.token_hex(16)
    with running_bot(workdir / "servers", token=token, credentials=path, extra_env=env,
                     with_actions=with_actions) as bot:
        yield Bot(bot, telegram, slack, env, built.text,
                  rasa_log=workdir / "servers" / "rasa.log")


@pytest.fixture(scope="session")
def channel_bot(fakes: Tuple[FakeTelegram, FakeSlack],
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bot]:
    telegram, slack = fakes
    with start_channel_bot(tmp_path_factory.mktemp("channel-bot"), telegram, slack) as bot:
        yield bot


# --------------------------------------------------------------------------- Telegram

_update_ids = itertools.count(880_000_000)
_chat_ids = itertools.count(510_000_001)


@dataclass
class TelegramUser:
    """A runner in a private chat with the bot, posting updates as Telegram does."""

    bot: Bot
    chat_id: int = field(default_factory=lambda: next(_chat_ids))
    message_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def sender(self) -> str:
        return str(self.chat_id)

    @property
    def url(self) -> str:
        return f"{self.bot.running.url}/webhooks/telegram/webhook"

    def person(self) -> Dict[str, Any]:
        return {"id": self.chat_id, "is_bot": False, "first_name": "Runner",
                "username": f"runner{self.chat_id}", "language_code": "en"}

    def message_update(self, text: str | None = None, **extra: Any) -> Dict[str, Any]:
        message: Dict[str, Any] = {
            "message_id": next(self.message_ids),
            "from": self.person(),
            "chat": {"id": self.chat_id, "first_name": "Runner",
                     "username": f"runner{self.chat_id}", "type": "private"},
            "date": int(time.time()),
            **extra,
        }
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                command = text.split()[0]
                message["entities"] = [{"offset": 0, "length": len(command),
                                        "type": "bot_command"}]
        return {"update_id": next(_update_ids), "message": message}

    def callback_update(self, message: Dict[str, Any], data: str) -> Dict[str, Any]:
        return {
            "update_id": next(_update_ids),
            "callback_query": {
                # Telegram only delivers ids it issued (and accepts answers only to those).
                "id": self.bot.telegram.issue_callback_query_id(),
                "from": self.person(),
                "message": message,
                "chat_instance": "-" + str(secrets.randbits(62)),
                "data": data,
            },
        }

    def send(self, update: Any, secret: str | None = TELEGRAM_SECRET,
             raw: bytes | None = None) -> Response:
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        body = raw if raw is not None else json.dumps(update).encode()
        return post(self.url, body, headers)

    def say(self, text: str) -> List[str]:
        """Send a text message; return the texts the bot sent to this chat in answer."""
        since = self.bot.telegram.mark()
        response = self.send(self.message_update(text))
        assert response.status == 200, response.body
        return self.bot.telegram.sent_texts(self.chat_id, since)

    def last_keyboard_message(self) -> Dict[str, Any]:
        """The bot's latest message to this chat that carries an inline keyboard."""
        sent = [call for call in self.bot.telegram.calls_to("sendMessage", chat_id=self.chat_id)
                if call.ok and "reply_markup" in call.result]
        assert sent, "the bot sent no inline keyboard to this chat"
        return sent[-1].result

    def click(self, title: str) -> Tuple[Dict[str, Any], List[str]]:
        """Click the button ``title`` of the latest keyboard; return the update and answers."""
        message = self.last_keyboard_message()
        keys = [key for row in message["reply_markup"]["inline_keyboard"] for key in row]
        data = next(key["callback_data"] for key in keys if key["text"] == title)
        update = self.callback_update(message, data)
        since = self.bot.telegram.mark()
        response = self.send(update)
        assert response.status == 200, response.body
        return update, self.bot.telegram.sent_texts(self.chat_id, since)


@pytest.fixture
def telegram_user(channel_bot: Bot) -> TelegramUser:
    return TelegramUser(channel_bot)


# --------------------------------------------------------------------------- Slack

_slack_users = itertools.count(1)


def slack_signature(timestamp: str, body: bytes, secret: str = SLACK_SIGNING_SECRET) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class SlackUser:
    """A person writing to the bot in its Slack DM (Events API and interactivity)."""

    bot: Bot
    user_id: str = field(default_factory=lambda: f"U0RUNNER{next(_slack_users):03d}")

    def __post_init__(self) -> None:
        self.channel = "D0" + self.user_id[2:]
        self._ts = itertools.count(1)

    @property
    def url(self) -> str:
        return f"{self.bot.running.url}/webhooks/slack/webhook"

    def next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    def event_body(self, text: str, user: str | None = None, **event_extra: Any
                   ) -> Dict[str, Any]:
        ts = self.next_ts()
        event = {
            "client_msg_id": secrets.token_hex(16),
            "type": "message",
            "text": text,
            "user": user or self.user_id,
            "ts": ts,
            "blocks": [{"type": "rich_text", "block_id": secrets.token_hex(3), "elements": [
                {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}]}],
            "team": self.bot.slack.team_id,
            "channel": self.channel,
            "event_ts": ts,
            "channel_type": "im",
            **event_extra,
        }
        return {
            "token": "legacy-verification-token",
            "team_id": self.bot.slack.team_id,
            "context_team_id": self.bot.slack.team_id,
            "api_app_id": "A0HEAVYLEG",
            "event": event,
            "type": "event_callback",
            "event_id": "Ev" + secrets.token_hex(5).upper(),
            "event_time": int(time.time()),
            "authorizations": [{"enterprise_id": None, "team_id": self.bot.slack.team_id,
                                "user_id": self.bot.slack.bot_user_id, "is_bot": True,
                                "is_enterprise_install": False}],
            "is_ext_shared_channel": False,
            "event_context": "4-" + secrets.token_hex(20),
        }

    def send_raw(self, body: bytes, content_type: str = "application/json",
                 timestamp: str | None = None, signature: str | None = None,
                 sign: bool = True, extra_headers: Dict[str, str] | None = None) -> Response:
        timestamp = timestamp or str(int(time.time()))
        headers = {"Content-Type": content_type,
                   "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)"}
        if sign:
            headers["X-Slack-Request-Timestamp"] = timestamp
            headers["X-Slack-Signature"] = signature or slack_signature(timestamp, body)
        headers.update(extra_headers or {})
        return post(self.url, body, headers, timeout=10)

    def send_event(self, body: Dict[str, Any], **kwargs: Any) -> Response:
        return self.send_raw(json.dumps(body).encode(), **kwargs)

    def say(self, text: str) -> List[str]:
        """Write ``text`` in the DM; return the texts the bot posted in answer."""
        turns = self.bot.user_turns(self.user_id)
        since = self.bot.slack.mark()
        response = self.send_event(self.event_body(text))
        assert response.status == 200, response.body
        self.bot.wait_for_turns(self.user_id, turns + 1)
        return self.bot.slack.posted_texts(self.channel, since)

    def last_buttons_post(self) -> Call:
        posts = [call for call in self.bot.slack.posts(self.channel)
                 if any(block["type"] == "actions" for block in call.params.get("blocks") or [])]
        assert posts, "the bot posted no buttons in this DM"
        return posts[-1]

    def block_actions_payload(self, post: Call, title: str) -> Dict[str, Any]:
        message = post.result["message"]
        actions = next(block for block in message["blocks"] if block["type"] == "actions")
        button = next(element for element in actions["elements"]
                      if element["text"]["text"] == title)
        action_ts = f"{time.time():.6f}"
        return {
            "type": "block_actions",
            "user": {"id": self.user_id, "username": "runner", "name": "runner",
                     "team_id": self.bot.slack.team_id},
            "api_app_id": "A0HEAVYLEG",
            "token": "legacy-verification-token",
            "container": {"type": "message", "message_ts": message["ts"],
                          "channel_id": self.channel, "is_ephemeral": False},
            "trigger_id": "1234.5678." + secrets.token_hex(8),
            "team": {"id": self.bot.slack.team_id, "domain": "heavy-legs"},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": self.channel, "name": "directmessage"},
            "message": message,
            "state": {"values": {}},
            "response_url": "https://hooks.slack.com/actions/T0HEAVYLEG/1/" + secrets.token_hex(8),
            "actions": [{**button, "block_id": actions["block_id"], "action_ts": action_ts}],
        }

    def click(self, title: str) -> Tuple[Dict[str, Any], Response, List[str]]:
        """Click the button ``title`` on the latest buttons post, form-encoded as Slack does."""
        turns = self.bot.user_turns(self.user_id)
        payload = self.block_actions_payload(self.last_buttons_post(), title)
        since = self.bot.slack.mark()
        body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
        response = self.send_raw(body, content_type="application/x-www-form-urlencoded")
        assert response.status == 200, response.body
        self.bot.wait_for_turns(self.user_id, turns + 1)
        return payload, response, self.bot.slack.posted_texts(self.channel, since)


@pytest.fixture
def slack_user(channel_bot: Bot) -> SlackUser:
    return SlackUser(channel_bot)

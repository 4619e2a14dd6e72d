"""Messaging channels (Telegram, Slack) on top of Rasa's own connectors.

Both are referenced from a credentials file by class path
(``bot.channels.telegram.TelegramChannel``, ``bot.channels.slack.SlackChannel``),
and ``python -m bot.channels.credentials`` builds that file from credentials.yml
plus the fragments in ``channels/`` whose environment variables are set.
See docs/channels.md.
"""

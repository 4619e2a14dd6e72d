"""The project's own storage: runner profiles and assessments (SQLAlchemy 1.4).

Nothing here opens a connection at import time: engines are built on first use
by :func:`bot.storage.db.get_engine` and cached by URL.
"""

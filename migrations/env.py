"""Alembic environment: only the project's tables; never Rasa's ``events``."""

from __future__ import annotations

from alembic import context

from bot.storage.db import database_url, get_engine
from bot.storage.models import Base

config = context.config
target_metadata = Base.metadata
VERSION_TABLE = config.get_main_option("version_table") or "storage_alembic_version"


def _url() -> str:
    configured = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    return configured or database_url()


def _include_object(obj, name, type_, reflected, compare_to):  # noqa: ANN001
    # Rasa's tracker store shares the database; leave its tables alone.
    return not (type_ == "table" and reflected and name not in target_metadata.tables)


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True,
                      version_table=VERSION_TABLE, include_object=_include_object)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    with get_engine(_url()).connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          version_table=VERSION_TABLE, include_object=_include_object,
                          render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

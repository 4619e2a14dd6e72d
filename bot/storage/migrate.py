"""Apply the Alembic migrations: ``python -m bot.storage.migrate [--revision head]``."""

from __future__ import annotations

import argparse
import logging
import sys

from alembic import command
from alembic.config import Config

from bot.storage.db import ROOT, database_url, normalise_url


def alembic_config(url: str | None = None) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["url"] = normalise_url(url or database_url())
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--revision", default="head")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    upgrade(revision=args.revision)
    print(f"Storage schema at {args.revision}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

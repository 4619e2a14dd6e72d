"""Delete old data: ``python -m bot.storage.purge --days N`` (``make purge DAYS=N``).

Removes assessments older than N days, conversations whose last message is
older than N days (Rasa's ``events`` rows), and profiles not seen for N days
that have no assessment left. Prints only counts.
"""

from __future__ import annotations

import argparse
import sys

from bot.storage.repository import purge_older_than


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=float, required=True,
                        help="keep the last N days, delete everything older")
    args = parser.parse_args(argv)
    if args.days < 0:
        parser.error("--days must be 0 or more")
    removed = purge_older_than(args.days)
    print("Purged: " + ", ".join(f"{table} {count}" for table, count in removed.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())

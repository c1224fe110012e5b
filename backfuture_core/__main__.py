"""`python -m backfuture_core`: the command line (backfuture_core/cli.py)."""

from backfuture_core.cli import main

if __name__ == "__main__":
    raise SystemExit(main())

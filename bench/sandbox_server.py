"""The sandbox exchange as a child process of a benchmark (see `common.SandboxProcess`).

Prints its URL on the first line of stdout, then serves until stdin closes.
"""

from __future__ import annotations

import argparse
import sys

from backfuture_core.sandbox import Sandbox


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency", type=float, default=0.0, metavar="MS")
    args = parser.parse_args()
    with Sandbox() as sandbox:
        if args.latency > 0:
            sandbox.set_fault("latency", seconds=args.latency / 1000)
        print(sandbox.url, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()

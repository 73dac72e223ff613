"""Save an `AimlApiCredentials` block from the environment.

    AIMLAPI_API_KEY=... python -m blocks save aimlapi

Reads AIMLAPI_API_KEY (and AIMLAPI_BASE_URL, if set) and saves the block under the
given name on the current Prefect server, overwriting one of the same name.
"""

from __future__ import annotations

import argparse
import sys

from aimlapi_client import AimlApiError

from .credentials import AimlApiCredentials


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m blocks", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    save = commands.add_parser("save", help="save the block from AIMLAPI_API_KEY / AIMLAPI_BASE_URL")
    save.add_argument("name", nargs="?", default="aimlapi", help="block name (default: aimlapi)")
    args = parser.parse_args()
    try:
        credentials = AimlApiCredentials.from_env()
    except AimlApiError as exc:
        print(exc, file=sys.stderr)
        return 2
    credentials.save(args.name, overwrite=True)
    print(f"Saved AimlApiCredentials block {args.name!r} for {credentials.base_url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`python -m aimlapi_client models`: list every supported model with its fields."""

from __future__ import annotations

import argparse

from .catalog import list_models


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m aimlapi_client")
    parser.add_argument("command", choices=["models"], help="what to list")
    parser.parse_args()
    for spec in list_models():
        print(f"{spec.id:45} {spec.kind:15} {spec.provider:8} {', '.join(spec.fields)}")


if __name__ == "__main__":
    main()

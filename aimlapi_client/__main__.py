"""`python -m aimlapi_client models`: list every supported model with its kind and fields."""

from __future__ import annotations

import argparse

from .catalog import list_models


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m aimlapi_client")
    parser.add_argument("command", choices=["models"], help="what to list")
    parser.parse_args()
    print(f"{'MODEL':50} {'KIND':18} {'TYPICAL':>7}  FIELDS (* required)")
    for spec in list_models():
        fields = ", ".join(name + ("*" if name in spec.required else "") for name in spec.fields)
        print(f"{spec.id:50} {spec.kind:18} {spec.expected_s:>6g}s  {fields}")


if __name__ == "__main__":
    main()

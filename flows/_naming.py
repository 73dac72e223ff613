"""Names for runs, resources and artifacts."""

from __future__ import annotations

import re

__all__ = ["slugify"]


def slugify(text: str, limit: int = 40) -> str:
    """A short, lowercase, dash-separated form of `text` for names and keys."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit].rstrip("-") or "untitled"

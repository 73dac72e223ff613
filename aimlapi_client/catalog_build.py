"""Generate the catalogue from the vendor's per-model schemas.

`data/vendor-schemas.json` is a digest of the vendor's published OpenAPI files (one
per model: its create route, required fields, each field's type, enum, default and
bounds). This script turns it into the project's own catalogue, `data/catalog.json`
(what `catalog.py` builds its typed request validation from), and the model table
in `docs/models.md`. A new vendor model is one regeneration away:

    python -m aimlapi_client.catalog_build            # write both files
    python -m aimlapi_client.catalog_build --check    # exit 1 if they are stale

What the schemas cannot say is decided here, by rules that are easy to review: the
media kind of each model (from its required inputs) and the expected generation
time the poll schedule starts from (the vendor's figure where it gives one, else a
round estimate that learned priors correct).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

__all__ = ["build_catalog", "main", "render_table"]

DATA = Path(__file__).parent / "data"
DIGEST = DATA / "vendor-schemas.json"
CATALOG_JSON = DATA / "catalog.json"
TABLE_MD = Path(__file__).parent.parent / "docs" / "models.md"

ESTIMATE = "estimate: the vendor gives no figure; learned priors correct it"
# (model id pattern, typical seconds, where the number comes from); the first match wins.
EXPECTED_SECONDS: list[tuple[str, float, str]] = [
    (r"^google/veo3$", 120, "vendor: Veo3 page, 'around 2 minutes for a 8-second video with audio'"),
    (r"^klingai/v2-master-", 330, "vendor: Kling v2-master page, '5-6 minutes for a 5-second video'"),
    (r"^video-01", 30, "vendor: MiniMax video-01 page, 'usually less than a minute'"),
    (r"^google/lyria2$", 35, "vendor: Lyria 2 page, '30-40 s'"),
    (r"^(music-01|minimax-music)$", 55, "vendor: MiniMax music page, '50-60 s'"),
    (r"^(google/veo|veo)", 120, ESTIMATE + " (the Veo3 figure)"),
    (r"^(kling|klingai)", 240, ESTIMATE + " (below the v2-master figure)"),
    (r"^minimax/", 60, ESTIMATE + " (the video-01 figure, rounded up)"),
    (r".", 120, ESTIMATE),
]
MUSIC_SECONDS = (60.0, ESTIMATE)
EXTENSIONS = {"google/lyria2": ".wav", "stable-audio": ".wav"}
"""File extension when a result does not name its content type; music defaults to .mp3."""


def media_kind(model_id: str, section: str, required: list[str]) -> str:
    """The kind of media a model makes from what it requires."""
    needs = set(required)
    if section == "music":
        return "music"
    if "effect_scene" in needs:
        return "effects"
    if "extend" in model_id:
        return "extend"
    if needs & {"audio_url", "audio_urls"} or "lip-sync" in model_id:
        return "avatar"
    if needs & {"video_url", "video_urls"}:
        return "video-to-video"
    if needs & {"image_urls", "image_list", "reference_image_urls", "reference"} or "reference" in model_id:
        return "reference-to-video"
    if needs & {"image_url", "last_image_url", "first_frame_image"}:
        return "image-to-video"
    return "text-to-video"


def build_catalog(digest: dict[str, Any]) -> dict[str, Any]:
    """The project's catalogue data for every model of the vendor's digest."""
    models = {}
    for section in ("video", "music"):
        for model_id, schema in sorted(digest[section].items()):
            method, route = schema["create"].split(" ", 1)
            seconds, source = _expected(model_id, section)
            models[model_id] = {
                "kind": media_kind(model_id, section, schema["required"]),
                "vendor": _vendor(schema["doc"]),
                "vendor_doc": schema["doc"],
                "create_route": route,
                "routes": sorted(schema["routes"]),
                "required": list(schema["required"]),
                "fields": {name: _field(spec) for name, spec in schema["fields"].items()},
                "expected_s": seconds,
                "expected_source": source,
                "extension": EXTENSIONS.get(model_id, ".mp3" if section == "music" else ".mp4"),
            }
    return {"source": digest["source"], "models": models}


def _vendor(doc: str) -> str:
    """The vendor's folder in the docs, as a tag: `video-models/Kling-AI/x.json` -> `kling-ai`."""
    folder = doc.split("/")[1].lower()
    return {"kling": "kling-ai"}.get(folder, folder)


def _expected(model_id: str, section: str) -> tuple[float, str]:
    for pattern, seconds, source in EXPECTED_SECONDS:
        if re.search(pattern, model_id) and (section == "video" or "vendor:" in source):
            return seconds, source
    return MUSIC_SECONDS


def _field(spec: dict[str, Any]) -> dict[str, Any]:
    """One field's schema, with defaults in the field's own type (the digest writes
    some integer defaults as strings) and nested schemas normalised too."""
    out = dict(spec)
    if "default" in out and out.get("type") == "integer" and isinstance(out["default"], str):
        out["default"] = int(out["default"])
    if "default" in out and out.get("type") == "number" and isinstance(out["default"], str):
        out["default"] = float(out["default"])
    if "items" in out:
        out["items"] = _field(out["items"])
    if "properties" in out:
        out["properties"] = {name: _field(sub) for name, sub in out["properties"].items()}
    for key in ("anyOf", "oneOf"):
        if key in out:
            out[key] = [_field(sub) for sub in out[key]]
    return out


def render_table(catalog: dict[str, Any]) -> str:
    """`docs/models.md`: every model with its kind, required and optional fields."""
    lines = [
        "# Models",
        "",
        "Generated by `python -m aimlapi_client.catalog_build` from the vendor's schemas",
        f"({catalog['source']}). Do not edit by hand.",
        "",
        "| model | kind | required | optional | typical |",
        "|---|---|---|---|---|",
    ]
    rows = sorted(catalog["models"].items(), key=lambda item: (item[1]["kind"], item[0]))
    for model_id, row in rows:
        optional = [name for name in row["fields"] if name not in row["required"]]
        lines.append(
            f"| `{model_id}` | {row['kind']} | {', '.join(row['required']) or '-'} | "
            f"{', '.join(optional) or '-'} | {row['expected_s']:g} s |"
        )
    return "\n".join(lines) + "\n"


def _outputs(digest_path: Path) -> dict[Path, str]:
    catalog = build_catalog(json.loads(digest_path.read_text()))
    return {
        CATALOG_JSON: json.dumps(catalog, indent=1) + "\n",  # fields keep the schema's order
        TABLE_MD: render_table(catalog),
    }


def main(argv: list[str] | None = None) -> int:
    """Write (or with `--check`, verify) the catalogue files; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m aimlapi_client.catalog_build", description=__doc__.split("\n")[0])
    parser.add_argument("--digest", type=Path, default=DIGEST, help="the vendor schema digest to read")
    parser.add_argument("--check", action="store_true", help="fail if the committed files are not current")
    args = parser.parse_args(argv)
    stale = []
    for path, text in _outputs(args.digest).items():
        if path.exists() and path.read_text() == text:
            continue
        if args.check:
            stale.append(str(path))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"wrote {path}")
    if stale:
        print("stale, run `python -m aimlapi_client.catalog_build`: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

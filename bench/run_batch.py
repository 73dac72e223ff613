"""Our side of the fan-out benchmark: N generations through `generate_videos`.

Usage: python -m bench.run_batch BASE_URL API_KEY N OUT_DIR EXPECTED_S
EXPECTED_S "catalogue" leaves `expected_s` unset, as users run it.
(PREFECT_API_URL must point at a running server.)
"""

import asyncio
import json
import sys
import time

from bench._measure import own_peak_rss_mb
from blocks import AimlApiCredentials
from flows import generate_videos


async def main(base: str, key: str, n: int, out: str, expected_s: float | None) -> dict:
    credentials = AimlApiCredentials(api_key=key, base_url=base)
    items = [{"model": "google/veo3", "prompt": f"bench {time.time_ns()} {i}", "duration": 4} for i in range(n)]
    started = time.monotonic()
    summary = await generate_videos(
        items=items, credentials=credentials, output_dir=out, max_concurrency=n, expected_s=expected_s
    )
    seconds = time.monotonic() - started
    if summary.failed:
        raise SystemExit(f"{len(summary.failed)} failed: {summary.failed[0].error}")
    return {"seconds": seconds, "succeeded": len(summary.succeeded), "peak_rss_mb": own_peak_rss_mb()}


if __name__ == "__main__":
    base, key, n, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    expected = None if sys.argv[5] == "catalogue" else float(sys.argv[5])
    print(json.dumps(asyncio.run(main(base, key, n, out, expected))))

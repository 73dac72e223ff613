"""The floor: N generations with a plain aiohttp script, as fast as asyncio allows.

Submit, poll every 0.5 s, stream the file to disk; no orchestration, no checks.
Usage: python -m bench.baseline_aiohttp BASE_URL API_KEY N OUT_DIR
"""

import asyncio
import json
import sys
import time
from pathlib import Path

import aiohttp

from bench._measure import own_peak_rss_mb

ROUTE = "/v2/generate/video/google/generation"


async def one(session: aiohttp.ClientSession, base: str, index: int, out: Path) -> int:
    async with session.post(
        base + ROUTE, json={"model": "google/veo3", "prompt": f"baseline {index}", "duration": 4}
    ) as r:
        generation_id = (await r.json())["id"]
    polls = 0
    while True:
        await asyncio.sleep(0.5)
        polls += 1
        async with session.get(base + ROUTE, params={"generation_id": generation_id}) as r:
            body = await r.json()
        if body["status"] == "completed":
            break
    async with session.get(body["video"]["url"]) as r:
        with (out / f"{index}.mp4").open("wb") as file:
            async for chunk in r.content.iter_chunked(1 << 16):
                file.write(chunk)
    return polls


async def main(base: str, key: str, n: int, out: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    connector = aiohttp.TCPConnector(limit=100)
    async with aiohttp.ClientSession(connector=connector, headers={"Authorization": f"Bearer {key}"}) as session:
        started = time.monotonic()
        polls = await asyncio.gather(*(one(session, base, i, out) for i in range(n)))
        seconds = time.monotonic() - started
    return {"seconds": seconds, "polls_per_generation": sum(polls) / n, "peak_rss_mb": own_peak_rss_mb()}


if __name__ == "__main__":
    base, key, n, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
    print(json.dumps(asyncio.run(main(base, key, n, out))))

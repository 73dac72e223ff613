"""`make demo`: generate a Veo3 video through Prefect against the local emulator.

Starts the emulator (API + CDN on free loopback ports), points the flow at it with
`AIMLAPI_BASE_URL` / `AIMLAPI_API_KEY`, runs `generate_video` on a temporary local
Prefect server, and prints where the video was written.
"""

from __future__ import annotations

import asyncio
import os
import sys

from aimlapi_sim import Emulator


def main() -> int:
    with Emulator(api_key="demo-key", generation_s=3.0) as emulator:
        os.environ["AIMLAPI_BASE_URL"] = emulator.base_url
        os.environ["AIMLAPI_API_KEY"] = "demo-key"
        from flows import generate_video  # imported late: reads settings on import

        result = asyncio.run(
            generate_video(
                prompt="A paper boat drifting down a rain-soaked street at dusk, cinematic",
                output_dir="videos",
                refresh=True,  # the emulator forgets its jobs when it stops: never resume one
                expected_s=3.0,  # the emulator renders in 3 s; real Veo3 takes about 2 minutes
            )
        )
    with open(result.path, "rb") as video:
        is_mp4 = video.read(12)[4:8] == b"ftyp"
    print(f"\nVideo written to {os.path.abspath(result.path)} ({result.bytes} bytes, MP4: {is_mp4})")
    return 0 if is_mp4 else 1


if __name__ == "__main__":
    sys.exit(main())

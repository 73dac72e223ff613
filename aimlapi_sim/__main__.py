"""Run the emulator from the command line: `python -m aimlapi_sim --port 8787`."""

from __future__ import annotations

import argparse
import asyncio
import signal

from .media import padded_video
from .server import Emulator


async def _main(args: argparse.Namespace) -> None:
    emulator = Emulator(api_key=args.api_key, generation_s=args.generation_seconds, host=args.host)
    if args.video_bytes:
        emulator.video = padded_video(args.video_bytes)
    await emulator.serve(args.port, args.cdn_port)
    print(f"AIMLAPI_BASE_URL={emulator.base_url}", flush=True)
    print(f"CDN at {emulator.cdn_url}; API key {args.api_key!r}; Ctrl-C stops", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await emulator.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m aimlapi_sim", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8787, help="API port (0 picks a free one)")
    parser.add_argument("--cdn-port", type=int, default=0, help="CDN port (0 picks a free one)")
    parser.add_argument("--api-key", default="sim-key", help="the only key the API accepts")
    parser.add_argument("--generation-seconds", type=float, default=3.0)
    parser.add_argument("--video-bytes", type=int, default=0, help="serve videos of this size (a padded MP4)")
    asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()

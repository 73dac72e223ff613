"""`make bench`: every benchmark, one summary line per measurement.

python -m bench                 # all (about 35 minutes on 2 cores)
python -m bench --quick         # small sizes only (about three minutes)
"""

from __future__ import annotations

import argparse
import platform
from datetime import date

from . import convergence, download, fanout, poll_latency, release


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="N=100, 5 s generations, 50 MB download, 20 released runs")
    args = parser.parse_args()
    print(
        f"# prefect-aimlapi benchmarks, {date.today()}, {platform.node()}, {platform.processor() or platform.machine()}"
    )
    poll_latency.main([])
    download.main(["--mb", "50"] if args.quick else [])
    fanout.main(["--n", "100", "--gen", "5"] if args.quick else ["--database", "sqlite", "postgres"])
    if not args.quick:
        convergence.main([])
    release.main(["--n", "20", "--gen", "30", "--worker-limit", "8"] if args.quick else [])


if __name__ == "__main__":
    main()

"""Run `generate_video` in a separate process, the way a worker would.

Usage: python tests/integration/flow_process.py '<json parameters>'
Reads AIMLAPI_API_KEY / AIMLAPI_BASE_URL / PREFECT_API_URL from the environment and
prints the result as JSON on its last line.
"""

import asyncio
import json
import sys

from flows import generate_video

result = asyncio.run(generate_video(**json.loads(sys.argv[1])))
print(result.model_dump_json())

"""What one web worker costs to start: the import time of the composition root, the time to
build the application, and the resident memory after both — each in a fresh interpreter,
``--runs`` times (medians). Run from the repository root: ``.venv/bin/python bench/web_worker.py``.

It also lists which heavy packages (numpy, scipy, OR-Tools, pandas) the worker and a
sign-in-only import (``timebank.people.services``) load. To compare with an older checkout in
the same run: ``PYTHONPATH=../old python bench/web_worker.py --module timebank.api.asgi
--build pass`` (before the composition root, the app was built on import)."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from typing import Any

PROBE = """
import json, resource, sys, time
t0 = time.perf_counter()
import {module}
t1 = time.perf_counter()
{build}
t2 = time.perf_counter()
heavy = sorted(m for m in ("numpy", "scipy", "ortools", "pandas") if m in sys.modules)
print(json.dumps({{"import_s": t1 - t0, "build_s": t2 - t1,
  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "heavy": heavy}}))
"""


def probe(module: str, build: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module, build=build)],
        check=True,
        capture_output=True,
        text=True,
        env={
            "TIMEBANK_DATABASE_URL": "sqlite://",
            # another checkout (e.g. the previous version) to compare against, if given
            "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
        },
    )
    found: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--module", default="timebank.app")
    parser.add_argument("--build", default="timebank.app.create_app()")
    args = parser.parse_args()
    runs = [probe(args.module, args.build) for _ in range(args.runs)]
    med = {k: statistics.median(r[k] for r in runs) for k in ("import_s", "build_s", "rss_mb")}
    light = probe("timebank.people.services", "")
    print(
        f"web worker ({args.module}, {args.runs} runs, medians): import {med['import_s']:.2f} s,"
        f" build {med['build_s']:.2f} s, resident {med['rss_mb']:.0f} MB"
    )
    print("  heavy packages the worker loads:", ", ".join(runs[0]["heavy"]) or "none")
    print("  heavy packages people.services loads:", ", ".join(light["heavy"]) or "none")


if __name__ == "__main__":
    main()

"""Run the real ``timebank`` command in a subprocess against a given database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def timebank(*args: str, url: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "TIMEBANK_DATABASE_URL": url,
        "TIMEBANK_ENV": "test",
        "COLUMNS": "160",
        "NO_COLOR": "1",
    }
    result = subprocess.run(
        [sys.executable, "-m", "timebank", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"timebank {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result

"""Sign-in and people's use cases load no scientific stack: a web worker that serves them must
not pay for numpy, scipy or OR-Tools (the layer contract forbids the imports statically; this
checks what an interpreter really loads, transitive imports included)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("numpy", "scipy", "ortools", "pandas")


def heavy_loaded_by(module: str) -> set[str]:
    probe = f"import json, sys, {module}; print(json.dumps(list(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    return {m.split(".")[0] for m in json.loads(out.stdout)} & set(HEAVY)


@pytest.mark.parametrize(
    "module",
    ["timebank.people.services", "timebank.auth.login", "timebank.ledger.services"],
)
def test_light_modules_load_no_scientific_stack(module: str) -> None:
    assert heavy_loaded_by(module) == set()


def test_the_probe_sees_heavy_imports() -> None:
    """The same probe does see numpy when a module loads it (so the test above can fail)."""
    assert "numpy" in heavy_loaded_by("timebank.supervision.detection.scan")

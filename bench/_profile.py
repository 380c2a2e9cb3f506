"""Summarise a CPU-time cProfile dump of one load-generating worker: where a credit's CPU
goes."""

from __future__ import annotations

import pstats
from typing import Any

# Steps of one service credit, matched as (file suffix, function name) in the profile.
STEPS = (
    ("whole transaction (run_in_transaction)", "timebank/db.py", "run_in_transaction"),
    ("  credit_service", "ledger/services.py", "credit_service"),
    ("    _facts / account_of (only when no row)", "ledger/services.py", "_facts"),
    ("    post_transfers", "ledger/core.py", "post_transfers"),
    ("      _fetch (keys, holds, reversals)", "ledger/core.py", "_fetch"),
    ("      _lock_accounts: SELECT .. FOR UPDATE", "ledger/core.py", "_lock_accounts"),
    ("      _resolve (per spec)", "ledger/core.py", "_resolve"),
    ("      _write: _apply, INSERT + UPDATE", "ledger/core.py", "_write"),
    ("        _apply (per spec)", "ledger/core.py", "_apply"),
    ("        JSON encoding of the transfers", "ledger/core.py", "_json"),
    ("  session.commit (COMMIT, WAL flush)", "sqlalchemy/orm/session.py", "commit"),
    ("  pool checkout (pre-ping if on)", "sqlalchemy/pool/base.py", "_checkout"),
    ("every Connection.execute (SQLAlchemy + driver)", "sqlalchemy/engine/base.py", "execute"),
    ("  of which in psycopg cursor.execute", "psycopg/cursor.py", "execute"),
    ("  SQL compilation / cache lookup", "sqlalchemy/sql/elements.py", "_compile_w_cache"),
    ("  psycopg query conversion (%(name)s -> $n)", "psycopg/_queries.py", "convert"),
)


def _layer(filename: str) -> str:
    for name in ("sqlalchemy", "psycopg", "timebank", "bench"):
        if f"/{name}/" in filename:
            return name
    return "builtins/C" if filename == "~" else "stdlib/other"


def summarize(path: str, credits: int) -> dict[str, Any]:
    """Milliseconds per credit for each step (cumulative) and for each layer (own time)."""
    stats: Any = pstats.Stats(path)
    raw = stats.stats  # {(file, line, func): (cc, nc, tottime, cumtime, callers)}
    total = stats.total_tt
    steps: list[tuple[str, float]] = []
    for label, suffix, func in STEPS:
        # max, not sum: Session.commit calls SessionTransaction.commit (same name, same file).
        found = [v[3] for k, v in raw.items() if k[0].endswith(suffix) and k[2] == func]
        cum = max(found, default=0.0)
        steps.append((label, 1000 * cum / max(credits, 1)))
    layers: dict[str, float] = {}
    for (filename, _, _), v in raw.items():
        layers[_layer(filename)] = layers.get(_layer(filename), 0.0) + v[2]
    return {
        "credits": credits,
        "ms_per_credit": 1000 * total / max(credits, 1),
        "steps": steps,
        "layers": {k: 1000 * v / max(credits, 1) for k, v in sorted(layers.items())},
        "calls_per_credit": stats.total_calls / max(credits, 1),
    }


def render(s: dict[str, Any]) -> str:
    layers = s["layers"]
    total = sum(layers.values()) or 1.0
    lines = [
        f"CPU profile of one worker: {s['credits']} credits, {s['ms_per_credit']:.3f} ms CPU each "
        f"under cProfile (inflated by the profiler: compare shares, not absolutes), "
        f"{s['calls_per_credit']:.0f} Python calls per credit",
        "  step (cumulative CPU ms per credit):",
        *(f"    {label:<46} {ms:7.3f}" for label, ms in s["steps"] if ms >= 0.0005),
        "  own CPU time by layer (ms per credit, share):",
        *(f"    {name:<46} {ms:7.3f} {100 * ms / total:4.0f}%" for name, ms in layers.items()),
    ]
    return "\n".join(lines)

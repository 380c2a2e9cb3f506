"""geography seed (retired): no longer seeds anything; a city imports its own geography

Revision ID: 0004
Revises: 0003

This revision used to insert Beijing's 16 districts and 160 streets with synthetic codes and
coordinates into every database, production included. It now does nothing, and the chain
keeps its id so that databases already at 0004 (or later) stay on the same history.

Why no data migration deletes what the old 0004 wrote:

* a database already at 0004 has people, stations and service items pointing at those
  districts and streets (foreign keys); deleting them would fail or orphan real rows;
* the 16 district rows are real (GB/T 2260 codes and names), and the street names are real;
  only the street codes and coordinates are synthetic;
* ``timebank geography import FILE`` upserts by code, so importing the city's real file
  corrects every seeded row whose code it shares (names and coordinates are updated).

A fresh database therefore starts with no geography: the operator imports the city's file
(docs/operations.md), and ``timebank demo`` writes the demo city's own places.
"""

from collections.abc import Sequence

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

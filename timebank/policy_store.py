"""The city's stored policy overrides: one row per changed parameter, merged over the defaults
of ``timebank.policy.Policy`` (which stays pure, so rules can take a policy without a database)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from timebank.db import Base, UTCDateTime
from timebank.policy import Policy


class PolicyParameter(Base):
    __tablename__ = "policy_parameters"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value_json: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(64))


def load_policy(session: Session) -> Policy:
    rows = session.execute(select(PolicyParameter.key, PolicyParameter.value_json)).all()
    return Policy().with_overrides({k: json.loads(v) for k, v in rows})


def set_policy(
    session: Session, *, actor_label: str, at: datetime, values: dict[str, Any]
) -> Policy:
    """Store overrides after checking that the merged policy is valid."""
    merged = load_policy(session).with_overrides(values)
    for key, value in values.items():
        row = session.get(PolicyParameter, key)
        encoded = json.dumps(value)
        if row is None:
            session.add(
                PolicyParameter(key=key, value_json=encoded, updated_at=at, updated_by=actor_label)
            )
        else:
            row.value_json, row.updated_at, row.updated_by = encoded, at, actor_label
    session.flush()
    return merged

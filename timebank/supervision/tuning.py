"""The detector parameters a check or scan runs with, derived from the city's policy.

``params_for`` is pure: the policy's late-night window and daily credit cap replace the
detectors' defaults, so what the city admin sets on the policy page is what the next write-time
check and the next scan judge by (no restart). The other thresholds stay the inferred defaults
of ``detection.params``. ``current_params`` loads the stored policy first.
"""

from __future__ import annotations

import dataclasses

from sqlalchemy.orm import Session

from timebank.policy import Policy
from timebank.policy_store import load_policy
from timebank.supervision.detection.params import DEFAULT_PARAMS, DetectorParams


def params_for(policy: Policy, base: DetectorParams = DEFAULT_PARAMS) -> DetectorParams:
    result = dataclasses.replace(
        base,
        night_start_hour=policy.late_night_start_hour,
        night_end_hour=policy.late_night_end_hour,
        daily_cap_minutes=policy.daily_credit_cap_minutes,
    )
    result.validate()
    return result


def current_params(session: Session, base: DetectorParams = DEFAULT_PARAMS) -> DetectorParams:
    """The parameters for a check or scan starting now: the stored policy over ``base``."""
    return params_for(load_policy(session), base)

"""Every table, imported in one place so Alembic and tests see the whole schema."""

from timebank.care.admission import AdmissionApplication
from timebank.care.models import ElderCode, Need, Visit, VolunteerProfile
from timebank.catalog.models import ServiceCategory, ServiceItem
from timebank.db import Base
from timebank.ledger.models import Account, Seal, Transfer
from timebank.people.models import (
    District,
    Kinship,
    Organisation,
    Person,
    Qualification,
    Street,
    TrainingRecord,
)
from timebank.policy import PolicyParameter

__all__ = [
    "Account",
    "AdmissionApplication",
    "Base",
    "District",
    "ElderCode",
    "Kinship",
    "Need",
    "Organisation",
    "Person",
    "PolicyParameter",
    "Qualification",
    "Seal",
    "ServiceCategory",
    "ServiceItem",
    "Street",
    "TrainingRecord",
    "Transfer",
    "Visit",
    "VolunteerProfile",
]

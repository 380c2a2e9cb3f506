"""Every table, imported in one place so Alembic and tests see the whole schema."""

from timebank.api.models import IdempotencyRecord
from timebank.audit.models import AuditEntry, ConsentRecord, DataAccess
from timebank.auth.models import (
    AuthToken,
    OneTimeCode,
    ProxyGrant,
    RateCounter,
    User,
)
from timebank.care.admission import AdmissionApplication
from timebank.care.models import ElderCode, Need, Visit, VolunteerProfile
from timebank.catalog.models import ServiceCategory, ServiceItem
from timebank.db import Base
from timebank.ledger.models import Account, Seal, Transfer
from timebank.notices.models import Notice
from timebank.people.models import (
    Community,
    District,
    Kinship,
    Organisation,
    Person,
    Qualification,
    Street,
    TrainingRecord,
)
from timebank.policy_store import PolicyParameter
from timebank.supervision.models import Alert as SupervisionAlert
from timebank.supervision.models import (
    AlertPerson,
    Appeal,
    CaseAlert,
    Decision,
    Sanction,
    ScanRun,
    UntrustworthyEntry,
    Watch,
)
from timebank.supervision.models import Case as SupervisionCase

__all__ = [
    "Account",
    "AdmissionApplication",
    "AlertPerson",
    "Appeal",
    "AuditEntry",
    "AuthToken",
    "Base",
    "CaseAlert",
    "Community",
    "ConsentRecord",
    "DataAccess",
    "Decision",
    "District",
    "ElderCode",
    "IdempotencyRecord",
    "Kinship",
    "Need",
    "Notice",
    "OneTimeCode",
    "Organisation",
    "Person",
    "PolicyParameter",
    "ProxyGrant",
    "Qualification",
    "RateCounter",
    "Sanction",
    "ScanRun",
    "Seal",
    "ServiceCategory",
    "ServiceItem",
    "Street",
    "SupervisionAlert",
    "SupervisionCase",
    "TrainingRecord",
    "Transfer",
    "UntrustworthyEntry",
    "User",
    "Visit",
    "VolunteerProfile",
    "Watch",
]

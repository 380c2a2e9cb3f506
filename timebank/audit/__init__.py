"""Accountability: the audit log of acts, the personal-data access log, consents, data export."""

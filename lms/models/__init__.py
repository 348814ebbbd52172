"""The shared models layer: every table of the application, one module per domain."""

from lms.models.audit import AuditAction, AuditEvent
from lms.models.base import Base, utcnow
from lms.models.organizations import Organization, Tier
from lms.models.users import Invitation, JobFunction, Role, User, normalize_email

__all__ = [
    "AuditAction",
    "AuditEvent",
    "Base",
    "Invitation",
    "JobFunction",
    "Organization",
    "Role",
    "Tier",
    "User",
    "normalize_email",
    "utcnow",
]

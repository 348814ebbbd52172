"""The shared models layer: every table of the application, one module per domain."""

from lms.models.audit import AuditAction, AuditEvent
from lms.models.base import Base, utcnow
from lms.models.courses import (
    Audience,
    Course,
    LearningPath,
    LearningPathStep,
    Lesson,
    LessonProgress,
    course_prerequisites,
)
from lms.models.organizations import Organization, Tier
from lms.models.users import Invitation, JobFunction, Role, User, normalize_email

__all__ = [
    "Audience",
    "AuditAction",
    "AuditEvent",
    "Base",
    "Course",
    "Invitation",
    "JobFunction",
    "LearningPath",
    "LearningPathStep",
    "Lesson",
    "LessonProgress",
    "Organization",
    "Role",
    "Tier",
    "User",
    "course_prerequisites",
    "normalize_email",
    "utcnow",
]

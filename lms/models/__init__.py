"""The shared models layer: every table of the application, one module per domain."""

from lms.clock import utcnow
from lms.models.api import ApiToken
from lms.models.applications import ApplicationStatus, PartnerApplication
from lms.models.assets import Asset, AssetCategory, AssetDownload, AssetVersion
from lms.models.audit import AuditAction, AuditEvent
from lms.models.base import Base
from lms.models.content import CONTENT_VERSION_ID, ContentVersion
from lms.models.courses import (
    Audience,
    Course,
    LearningPath,
    LearningPathStep,
    Lesson,
    LessonProgress,
    course_prerequisites,
)
from lms.models.credentials import (
    Award,
    Credential,
    CredentialKind,
    CredentialStatus,
    new_verification_code,
)
from lms.models.deals import Deal, DealEvent, DealStatus
from lms.models.environments import (
    HOLDING_QUOTA,
    DemoEnvironment,
    DemoEnvironmentEvent,
    EnvironmentStatus,
)
from lms.models.kb import KbArticle, KbCategory, KbMessage, KbQuestion, KbVote, QuestionStatus
from lms.models.mdf import (
    MdfActivityType,
    MdfAdjustment,
    MdfAllocation,
    MdfEvent,
    MdfProofFile,
    MdfRequest,
    MdfStatus,
)
from lms.models.notifications import MailState, Notification, NotificationSettings
from lms.models.organizations import (
    Organization,
    OrganizationActivityMonth,
    PartnerType,
    Tier,
)
from lms.models.quizzes import (
    Attempt,
    AttemptStatus,
    Quiz,
    QuizKind,
    QuizVersion,
    ReviewPolicy,
)
from lms.models.spif import SpifCampaign, SpifRule
from lms.models.terms import TermsAcceptance, TermsVersion
from lms.models.tiers import (
    ManualRequirementRecord,
    TierChange,
    TierChangeKind,
    TierHold,
    TierProgramVersion,
)
from lms.models.users import (
    Invitation,
    JobFunction,
    PasswordReset,
    RecoveryCode,
    Role,
    User,
    normalize_email,
)
from lms.models.webhooks import (
    DeliveryState,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

__all__ = [
    "CONTENT_VERSION_ID",
    "HOLDING_QUOTA",
    "ApiToken",
    "ApplicationStatus",
    "Asset",
    "AssetCategory",
    "AssetDownload",
    "AssetVersion",
    "Attempt",
    "AttemptStatus",
    "Audience",
    "AuditAction",
    "AuditEvent",
    "Award",
    "Base",
    "ContentVersion",
    "Course",
    "Credential",
    "CredentialKind",
    "CredentialStatus",
    "Deal",
    "DealEvent",
    "DealStatus",
    "DeliveryState",
    "DemoEnvironment",
    "DemoEnvironmentEvent",
    "EnvironmentStatus",
    "Invitation",
    "JobFunction",
    "KbArticle",
    "KbCategory",
    "KbMessage",
    "KbQuestion",
    "KbVote",
    "LearningPath",
    "LearningPathStep",
    "Lesson",
    "LessonProgress",
    "MailState",
    "ManualRequirementRecord",
    "MdfActivityType",
    "MdfAdjustment",
    "MdfAllocation",
    "MdfEvent",
    "MdfProofFile",
    "MdfRequest",
    "MdfStatus",
    "Notification",
    "NotificationSettings",
    "Organization",
    "OrganizationActivityMonth",
    "PartnerApplication",
    "PartnerType",
    "PasswordReset",
    "QuestionStatus",
    "Quiz",
    "QuizKind",
    "QuizVersion",
    "RecoveryCode",
    "ReviewPolicy",
    "Role",
    "SpifCampaign",
    "SpifRule",
    "TermsAcceptance",
    "TermsVersion",
    "Tier",
    "TierChange",
    "TierChangeKind",
    "TierHold",
    "TierProgramVersion",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "course_prerequisites",
    "new_verification_code",
    "normalize_email",
    "utcnow",
]

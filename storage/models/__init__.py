"""Typed SQLAlchemy models, one module per area, named as the storage module that keeps them:
the organization tree (orgs), people, memberships and invites (people), meetings, audit,
conversation persistence, training, dues, the outbox and reminders, duties, notices, the
dashboard's web sessions, processed updates (instances), holiday calendars and the file
store (files), membership transfers (transfers), six-month cases (drift), member development
(development), one-to-one talks (talks), the democratic appraisal of members (appraisal),
branches' group chats (branch_chats).

Importing this package defines every table on Base.metadata (Alembic's target) and re-exports
every model, so `from storage.models import X` names any of them.
"""

from __future__ import annotations

from storage.models.appraisal import (
    Appraisal,
    AppraisalPeerGrade,
    AppraisalResult,
    AppraisalSelf,
)
from storage.models.audit import AuditEvent
from storage.models.base import NAMING, Base, UTCDateTime, utcnow
from storage.models.branch_chats import BranchChat, ChatLinkCode, GroupPost
from storage.models.development import (
    DevelopmentContact,
    DevelopmentRecord,
    DevelopmentStep,
    ThoughtReport,
)
from storage.models.drift import DriftCase
from storage.models.dues import DuesPayment, DuesProfile
from storage.models.duties import Duty, DutyCompletion, TermRenewal
from storage.models.files import FileState, StoredFile, StoredFileContent
from storage.models.holiday_calendar import HolidayCalendarDay, HolidayCalendarYear
from storage.models.instances import ProcessedUpdate
from storage.models.meetings import Attendance, Meeting, MeetingCount, MeetingFile
from storage.models.notices import Notice, NoticeRecipient
from storage.models.orgs import PartyGroup, PartyOrganization, SocialOrganization
from storage.models.outbox import (
    CourierInstance,
    NotificationPreference,
    OutboxMessage,
    OutboxState,
    PlannerWatermark,
)
from storage.models.people import CURRENT_STATES, CURRENT_STATES_SQL, Invite, Membership, Person
from storage.models.persistence import ConversationState, UserData
from storage.models.talks import Talk
from storage.models.training import (
    TRAINING_OPEN_STATES_SQL,
    LessonAttendance,
    TrainingEvidence,
    TrainingRecord,
    TrainingRequirement,
    TrainingYear,
)
from storage.models.transfers import MembershipTransfer
from storage.models.web_sessions import WebSession, WebSignInToken

__all__ = [
    "CURRENT_STATES",
    "CURRENT_STATES_SQL",
    "NAMING",
    "TRAINING_OPEN_STATES_SQL",
    "Appraisal",
    "AppraisalPeerGrade",
    "AppraisalResult",
    "AppraisalSelf",
    "Attendance",
    "AuditEvent",
    "Base",
    "BranchChat",
    "ChatLinkCode",
    "ConversationState",
    "CourierInstance",
    "DevelopmentContact",
    "DevelopmentRecord",
    "DevelopmentStep",
    "DriftCase",
    "DuesPayment",
    "DuesProfile",
    "Duty",
    "DutyCompletion",
    "FileState",
    "GroupPost",
    "HolidayCalendarDay",
    "HolidayCalendarYear",
    "Invite",
    "LessonAttendance",
    "Meeting",
    "MeetingCount",
    "MeetingFile",
    "Membership",
    "MembershipTransfer",
    "Notice",
    "NoticeRecipient",
    "NotificationPreference",
    "OutboxMessage",
    "OutboxState",
    "PartyGroup",
    "PartyOrganization",
    "Person",
    "PlannerWatermark",
    "ProcessedUpdate",
    "SocialOrganization",
    "StoredFile",
    "StoredFileContent",
    "Talk",
    "TermRenewal",
    "ThoughtReport",
    "TrainingEvidence",
    "TrainingRecord",
    "TrainingRequirement",
    "TrainingYear",
    "UTCDateTime",
    "UserData",
    "WebSession",
    "WebSignInToken",
    "utcnow",
]

"""The domain's vocabulary: every kind, role, status and state the rules reason about.

Plain enums, no database: storage/models/ stores them as their string values (VARCHAR, no
PostgreSQL enum type), so a value here is also what the database holds and must not change.
The labels users read are in handlers/labels.py.
"""

from __future__ import annotations

import enum

__all__ = [
    "MUTABLE_REMINDER_KINDS",
    "AttendanceStatus",
    "CheckinMethod",
    "DevelopmentStage",
    "DuesCategory",
    "DuesMethod",
    "DuesPaymentState",
    "MeetingKind",
    "MeetingState",
    "MemberRole",
    "MemberStatus",
    "MembershipState",
    "NoticeState",
    "PartyOrgKind",
    "ReminderKind",
    "SocialOrgType",
    "TrainingGroup",
    "TrainingKind",
    "TrainingState",
]


# ---------------------------------------------------------------------------------------------
# Organizations and people
# ---------------------------------------------------------------------------------------------


class SocialOrgType(enum.StrEnum):
    """Social organization types (seed 000 art. 2; seed 002 §1)."""

    ASSOCIATION = "association"  # 社会团体
    PRIVATE_NON_PROFIT = "private_non_profit"  # 民办非企业单位 / 社会服务机构
    FOUNDATION = "foundation"  # 基金会
    INTERMEDIARY = "intermediary"  # 社会中介组织
    COMMUNITY = "community"  # 城乡社区社会组织


class PartyOrgKind(enum.StrEnum):
    """Kinds of party organization (seed 000 art. 14-19)."""

    COMMITTEE = "committee"  # 党委
    GENERAL_BRANCH = "general_branch"  # 党总支
    BRANCH = "branch"  # 党支部
    JOINT_BRANCH = "joint_branch"  # 联合党支部


class MemberStatus(enum.StrEnum):
    FULL = "full"  # 正式党员
    PROBATIONARY = "probationary"  # 预备党员
    ACTIVIST = "activist"  # 入党积极分子
    APPLICANT = "applicant"  # 入党申请人: application handed in, not yet chosen as an activist


class AppraisalGrade(enum.StrEnum):
    """民主评议党员: a peer's grade and the branch's result for a member, best first."""

    EXCELLENT = "excellent"  # 优秀
    QUALIFIED = "qualified"  # 合格
    BASICALLY_QUALIFIED = "basically_qualified"  # 基本合格
    UNQUALIFIED = "unqualified"  # 不合格


class DevelopmentStage(enum.StrEnum):
    """Member development (发展党员), in order: the last two are MemberStatus's members."""

    APPLICANT = "applicant"  # 入党申请人
    ACTIVIST = "activist"  # 入党积极分子
    CANDIDATE = "candidate"  # 发展对象
    PROBATIONARY = "probationary"  # 预备党员
    FULL = "full"  # 正式党员


class ExcuseReason(enum.StrEnum):
    """Why the branch excused a member from organizational life (党员教育管理工作条例): while
    excused, the six-month rule's warnings about them wait."""

    ILL = "ill"
    ABROAD = "abroad"
    ELDERLY = "elderly"
    OTHER = "other"


class DriftTrigger(enum.StrEnum):
    """Which of the six-month rule's triggers the bot saw (党章 art. 9)."""

    ABSENCE = "absence"  # no organizational life
    DUES = "dues"  # no dues paid


class CaseOutcome(enum.StrEnum):
    """How the branch settled a six-month case."""

    EXCUSED = "excused"  # a good reason recorded: excused from organizational life
    REPORTED = "reported"  # reported to the level above


class MemberRole(enum.StrEnum):
    MEMBER = "member"
    SECRETARY = "secretary"  # 书记
    DEPUTY_SECRETARY = "deputy_secretary"  # 副书记
    COMMITTEE_MEMBER = "committee_member"  # 委员


class MembershipState(enum.StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    REJECTED = "rejected"
    TRANSFERRED_OUT = "transferred_out"  # 组织关系转出


# ---------------------------------------------------------------------------------------------
# Meetings (三会一课) and check-in
# ---------------------------------------------------------------------------------------------


class MeetingKind(enum.StrEnum):
    """三会一课 and related organizational life (DOMAIN.md)."""

    ASSEMBLY = "assembly"  # 支部党员大会
    COMMITTEE = "committee"  # 支部委员会会议
    GROUP = "group"  # 党小组会
    LESSON = "lesson"  # 党课
    THEME_DAY = "theme_day"  # 主题党日
    ORG_LIFE = "org_life"  # 组织生活会
    APPRAISAL = "appraisal"  # 民主评议党员


class MeetingState(enum.StrEnum):
    SCHEDULED = "scheduled"
    CHECKIN_OPEN = "checkin_open"
    CLOSED = "closed"  # frozen: the ledger record
    CANCELLED = "cancelled"


class AttendanceStatus(enum.StrEnum):
    EXPECTED = "expected"  # 应到, no answer yet
    ATTENDING = "attending"  # said they will come
    LEAVE_REQUESTED = "leave_requested"
    ON_LEAVE = "on_leave"  # 请假, approved
    PRESENT = "present"  # 实到
    ABSENT = "absent"  # 缺席
    GUEST = "guest"  # invited activist, not counted
    GUEST_PRESENT = "guest_present"


class CheckinMethod(enum.StrEnum):
    TAP = "tap"
    CODE = "code"
    LOCATION = "location"
    MANUAL = "manual"  # 代签 by the secretary


# ---------------------------------------------------------------------------------------------
# Training hours (DOMAIN.md "Training")
# ---------------------------------------------------------------------------------------------


class TrainingKind(enum.StrEnum):
    """What kind of study a training record is; which kinds count is configuration."""

    CONCENTRATED = "concentrated"  # 集中培训
    LESSON = "lesson"  # 党课
    ONLINE = "online"  # 网络学习 (学习强国, 新时代e支部)
    OTHER = "other"


class TrainingState(enum.StrEnum):
    PENDING = "pending"  # logged, waiting for a leader
    VERIFIED = "verified"
    REJECTED = "rejected"  # with a reason
    WITHDRAWN = "withdrawn"  # by the member, while pending


class TrainingGroup(enum.StrEnum):
    """Whose yearly requirement applies (rules.training.role_group)."""

    LEADER = "leader"  # 书记, 副书记, 委员 (seed 002 §18)
    MEMBER = "member"  # 正式 and 预备党员


# ---------------------------------------------------------------------------------------------
# Dues (党费)
# ---------------------------------------------------------------------------------------------


class DuesCategory(enum.StrEnum):
    """What a member's dues are reckoned from (2008 规定; rules/dues.py has the amounts)."""

    EMPLOYED = "employed"  # a share of the monthly base pay, by bracket
    RETIRED = "retired"  # a share of the monthly pension, by bracket
    FARMER = "farmer"  # a fixed amount the branch sets within a range
    STUDENT = "student"
    UNEMPLOYED = "unemployed"
    SUBSISTENCE = "subsistence"  # on relief or the local subsistence allowance (低保)


class DuesMethod(enum.StrEnum):
    """How dues were paid: recorded, never processed (the bot handles no money)."""

    CASH = "cash"
    BANK = "bank"
    ONLINE = "online"


class DuesPaymentState(enum.StrEnum):
    REPORTED = "reported"  # the member says they paid; the secretary has not confirmed yet
    CONFIRMED = "confirmed"  # recorded or confirmed by the branch


# ---------------------------------------------------------------------------------------------
# Membership transfers (组织关系转接)
# ---------------------------------------------------------------------------------------------


class TransferKind(enum.StrEnum):
    BETWEEN = "between"  # from one branch in the bot to another: the receiver accepts
    OUT = "out"  # to an organization the bot does not hold: the membership ends at once
    IN = "in"  # from outside: the member registers with the letter; the secretary accepts


class TransferState(enum.StrEnum):
    WAITING = "waiting"  # the letter is out; the receiving branch has not answered
    ACCEPTED = "accepted"  # the membership moved (for OUT: ended; for IN: began)
    RETURNED = "returned"  # the receiving branch sent it back, with a reason
    EXPIRED = "expired"  # unanswered while the letter was valid: back to the sender
    WITHDRAWN = "withdrawn"  # the sender took it back before an answer


# ---------------------------------------------------------------------------------------------
# Notices and reminders
# ---------------------------------------------------------------------------------------------


class NoticeState(enum.StrEnum):
    DRAFT = "draft"  # being composed: previewed, not confirmed
    SCHEDULED = "scheduled"  # confirmed, rows wait in the outbox for scheduled_at
    SENDING = "sending"
    SENT = "sent"  # nothing left in the outbox
    WITHDRAWN = "withdrawn"  # pending copies cancelled, recipients told; the record stays


class ReminderKind:
    """Reminder kinds (outbox rows' kind): a person may mute the mutable ones in /settings."""

    MEETING = "meeting"  # before a meeting, to those expected
    CHECKIN = "checkin"  # to leaders: check-in not opened at the start
    MINUTES = "minutes"  # to leaders: minutes not recorded a day after
    DRIFT = "drift"  # to leaders: a member without organizational life for months
    DRIFT_CASE = "drift_case"  # to leaders: six months reached, a case to handle (not mutable)
    RENEWAL = "renewal"  # to leaders and the levels above: the term ends or is overdue
    DUTY = "duty"  # reporting deadlines
    COMPLIANCE = "compliance"  # to leaders: a required meeting not held yet this period
    TRAINING = "training"  # behind the yearly training requirement
    TRANSFER = "transfer"  # a transfer letter waits for an answer, or expired (not mutable)
    DEVELOPMENT = "development"  # to leaders: a development step due by a rule's day (not mutable)
    TALKS = "talks"  # to secretaries, quarterly: members not talked with yet this year
    APPRAISAL = "appraisal"  # the year's 民主评议 not opened; a self-assessment not written


MUTABLE_REMINDER_KINDS = (
    ReminderKind.MEETING, ReminderKind.TRAINING, ReminderKind.COMPLIANCE, ReminderKind.DRIFT,
    ReminderKind.RENEWAL, ReminderKind.DUTY, ReminderKind.TALKS, ReminderKind.APPRAISAL,
)

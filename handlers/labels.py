"""What users read for the domain's values: the chat, the reminders and the web dashboard
all take their labels from here, so one value reads the same everywhere.

Each table maps a value of rules/vocabulary.py (or rules/duties.py, rules/meetings.py) to a
message id marked with N_; translate it with `t(...)` where it is shown. Changing an English
label changes its message id: the translation must then be filled in again.
"""

from __future__ import annotations

from enum import Enum
from typing import TypeVar

from handlers.kit.i18n import N_, Html, Translator, escape
from rules.duties import Audience, Recurrence
from rules.vocabulary import (
    AppraisalGrade,
    AttendanceStatus,
    CheckinMethod,
    DevelopmentStage,
    ExcuseReason,
    MeetingKind,
    MeetingState,
    MemberRole,
    MembershipState,
    MemberStatus,
    NoticeState,
    PartyOrgKind,
    ReminderKind,
    SocialOrgType,
    TrainingGroup,
    TrainingKind,
    TrainingState,
)

E = TypeVar("E", bound=Enum)


def labelled(kind: type[E], **labels: str) -> dict[E, str]:
    """A table of labels by member name: the enum said once, a wrong name fails at import."""
    return {kind[name]: label for name, label in labels.items()}


LIST_SEPARATOR = N_(", ")  # between names in a sentence (Chinese uses its own comma)
WEEKDAYS = (  # by date.weekday(): Monday first
    N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"),
    N_("Saturday"), N_("Sunday"),
)

# Organizations and people
MEMBER_STATUS_LABELS = labelled(
    MemberStatus, FULL=N_("Full member"), PROBATIONARY=N_("Probationary member"),
    ACTIVIST=N_("Activist"), APPLICANT=N_("Applicant (application handed in)"),
)
# Member development (发展党员), in order
STAGE_LABELS = labelled(
    DevelopmentStage, APPLICANT=N_("Applicant"), ACTIVIST=N_("Activist"),
    CANDIDATE=N_("Candidate for admission"), PROBATIONARY=N_("Probationary member"),
    FULL=N_("Full member"),
)
ROLE_LABELS = labelled(
    MemberRole, MEMBER=N_("Member"), SECRETARY=N_("Secretary"),
    DEPUTY_SECRETARY=N_("Deputy secretary"), COMMITTEE_MEMBER=N_("Committee member"),
)
MEMBERSHIP_STATE_LABELS = labelled(
    MembershipState, PENDING=N_("Waiting for approval"), ACTIVE=N_("Active"),
    REJECTED=N_("Rejected"), TRANSFERRED_OUT=N_("Transferred out"),
)
EXCUSE_REASON_LABELS = labelled(
    ExcuseReason, ILL=N_("Ill"), ABROAD=N_("Abroad"), ELDERLY=N_("Elderly"),
    OTHER=N_("Another good reason"),
)
PARTY_KIND_LABELS = labelled(
    PartyOrgKind, COMMITTEE=N_("Party committee"), GENERAL_BRANCH=N_("General branch"),
    BRANCH=N_("Branch"), JOINT_BRANCH=N_("Joint branch"),
)
# The web dashboard names the kinds in full, where no organization name stands beside them.
PARTY_KIND_LONG_LABELS = labelled(
    PartyOrgKind, COMMITTEE=N_("Party committee"), GENERAL_BRANCH=N_("General party branch"),
    BRANCH=N_("Party branch"), JOINT_BRANCH=N_("Joint party branch"),
)
SOCIAL_TYPE_LABELS = labelled(
    SocialOrgType, ASSOCIATION=N_("Social association"),
    PRIVATE_NON_PROFIT=N_("Private non-profit (social service organization)"),
    FOUNDATION=N_("Foundation"), INTERMEDIARY=N_("Social intermediary"),
    COMMUNITY=N_("Community organization"),
)

# Meetings, check-in and compliance
MEETING_KIND_LABELS = labelled(
    MeetingKind, ASSEMBLY=N_("Branch general assembly"), COMMITTEE=N_("Branch committee meeting"),
    GROUP=N_("Party group meeting"), LESSON=N_("Party lesson"), THEME_DAY=N_("Theme party day"),
    ORG_LIFE=N_("Organizational life meeting"), APPRAISAL=N_("Democratic appraisal of members"),
)
MEETING_STATE_LABELS = labelled(
    MeetingState, SCHEDULED=N_("Scheduled"), CHECKIN_OPEN=N_("Check-in open"), CLOSED=N_("Closed"),
    CANCELLED=N_("Cancelled"),
)
ATTENDANCE_STATUS_LABELS = labelled(
    AttendanceStatus, EXPECTED=N_("expected"), ATTENDING=N_("will attend"),
    LEAVE_REQUESTED=N_("leave requested"), ON_LEAVE=N_("on leave"), PRESENT=N_("present"),
    ABSENT=N_("absent"), GUEST=N_("guest"), GUEST_PRESENT=N_("guest, present"),
)
CHECKIN_METHOD_LABELS = labelled(
    CheckinMethod, TAP=N_("tap"), CODE=N_("room code"), LOCATION=N_("location"),
    MANUAL=N_("by hand"),
)
# rules.meetings.ComplianceStatus
COMPLIANCE_STATUS_LABELS = {
    "met": N_("met"), "due": N_("due"), "missing": N_("missing"),
    "not_required": N_("not required"),
}


def meeting_kind_labels(t: Translator) -> dict[MeetingKind, str]:
    return {kind: t(MEETING_KIND_LABELS[kind]) for kind in MeetingKind}


# Training hours
TRAINING_KIND_LABELS = labelled(
    TrainingKind, CONCENTRATED=N_("Concentrated training"), LESSON=N_("Party lesson"),
    ONLINE=N_("Online study"), OTHER=N_("Other study"),
)
TRAINING_GROUP_LABELS = labelled(
    TrainingGroup, LEADER=N_("Secretaries and committee members"), MEMBER=N_("Party members"),
)
TRAINING_STATE_LABELS = labelled(
    TrainingState, PENDING=N_("Waiting for verification"), VERIFIED=N_("Verified"),
    REJECTED=N_("Not accepted"), WITHDRAWN=N_("Withdrawn"),
)


def training_kind_label(t: Translator, kind: TrainingKind) -> Html:
    return t(TRAINING_KIND_LABELS[kind])


def training_kind_labels(t: Translator) -> dict[TrainingKind, str]:
    return {kind: training_kind_label(t, kind) for kind in TrainingKind}


def training_group_labels(t: Translator) -> dict[TrainingGroup, str]:
    return {group: t(label) for group, label in TRAINING_GROUP_LABELS.items()}


# Reporting duties, notices and reminders
# The default calendar of rules/duties.py, by code; custom duties carry their own title.
DUTY_TITLES = {
    "secretary_report": N_("Secretary's annual report and appraisal"),
    "inspection_supervisor": N_("Annual inspection: party-building checklist to the supervising "
                                "unit"),
    "inspection_registration": N_("Annual inspection: report to the registration authority"),
    "org_life_and_appraisal": N_("Organizational-life meeting and democratic appraisal"),
    "classification_grading": N_("Classification and grading"),
    "dues": N_("Party dues collection"),
}
# Keyed by the plain strings a stored Duty holds (each enum member equals its value).
DUTY_AUDIENCE_LABELS: dict[str, str] = {
    Audience.SECRETARIES: N_("secretaries and deputies"),
    Audience.MEMBERS: N_("all members of the branch"),
    Audience.ADMINS: N_("the upper level (admins)"),
}
DUTY_RECURRENCE_LABELS: dict[str, str] = {
    Recurrence.ONCE: N_("Once"), Recurrence.MONTHLY: N_("Monthly"),
    Recurrence.QUARTERLY: N_("Quarterly"), Recurrence.YEARLY: N_("Yearly"),
}
# Under a deadline marked "≈" (rules.duties.DutyOccurrence.approximate).
APPROXIMATE_NOTE = N_("≈ Approximate: no official holiday schedule is loaded for that year, so "
                      "holidays are estimated from the statutory dates and make-up working days "
                      "are unknown.")


def duty_title(t: Translator, code: str | None, title: str | None) -> Html:
    """A reporting duty's name in the reader's language."""
    return t(DUTY_TITLES[code]) if code in DUTY_TITLES else escape(title or "?")


NOTICE_STATE_LABELS = labelled(
    NoticeState, DRAFT=N_("draft"), SCHEDULED=N_("scheduled"), SENDING=N_("sending"),
    SENT=N_("sent"), WITHDRAWN=N_("withdrawn"),
)
# The reminders a person may switch off in /settings (rules.vocabulary.MUTABLE_REMINDER_KINDS).
REMINDER_KIND_LABELS = {
    ReminderKind.MEETING: N_("Meetings I am expected at"),
    ReminderKind.TRAINING: N_("Training behind schedule"),
    ReminderKind.COMPLIANCE: N_("Meetings not held yet this period (leaders)"),
    ReminderKind.DRIFT: N_("Members without organizational life (leaders)"),
    ReminderKind.RENEWAL: N_("Committee term renewal (leaders)"),
    ReminderKind.DUTY: N_("Reporting deadlines"),
    ReminderKind.TALKS: N_("Members not talked with yet this year (secretaries)"),
    ReminderKind.APPRAISAL: N_("The yearly democratic appraisal"),
}

GRADE_LABELS = {
    AppraisalGrade.EXCELLENT: N_("Excellent (优秀)"),
    AppraisalGrade.QUALIFIED: N_("Qualified (合格)"),
    AppraisalGrade.BASICALLY_QUALIFIED: N_("Basically qualified (基本合格)"),
    AppraisalGrade.UNQUALIFIED: N_("Unqualified (不合格)"),
}

"""What users read for the domain's values: the chat, the reminders and the web dashboard
all take their labels from here, so one value reads the same everywhere.

Each table maps a value of rules/vocabulary.py (or rules/duties.py, rules/meetings.py) to a
message id marked with N_; translate it with `t(...)` where it is shown. Changing an English
label changes its message id: the translation must then be filled in again.
"""

from __future__ import annotations

from handlers.kit.i18n import N_, Html, Translator, escape
from rules.duties import Audience, Recurrence
from rules.vocabulary import (
    AttendanceStatus,
    CheckinMethod,
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

__all__ = [
    "APPROXIMATE_NOTE",
    "ATTENDANCE_STATUS_LABELS",
    "CHECKIN_METHOD_LABELS",
    "COMPLIANCE_STATUS_LABELS",
    "DUTY_AUDIENCE_LABELS",
    "DUTY_RECURRENCE_LABELS",
    "DUTY_TITLES",
    "LIST_SEPARATOR",
    "MEETING_KIND_LABELS",
    "MEETING_STATE_LABELS",
    "MEMBERSHIP_STATE_LABELS",
    "MEMBER_STATUS_LABELS",
    "NOTICE_STATE_LABELS",
    "PARTY_KIND_LABELS",
    "PARTY_KIND_LONG_LABELS",
    "REMINDER_KIND_LABELS",
    "ROLE_LABELS",
    "SOCIAL_TYPE_LABELS",
    "TRAINING_GROUP_LABELS",
    "TRAINING_KIND_LABELS",
    "TRAINING_STATE_LABELS",
    "WEEKDAYS",
    "duty_title",
    "meeting_kind_labels",
    "training_group_labels",
    "training_kind_label",
    "training_kind_labels",
]

LIST_SEPARATOR = N_(", ")  # between names in a sentence (Chinese uses its own comma)
WEEKDAYS = (  # by date.weekday(): Monday first
    N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"),
    N_("Saturday"), N_("Sunday"),
)

# ---------------------------------------------------------------------------------------------
# Organizations and people
# ---------------------------------------------------------------------------------------------

MEMBER_STATUS_LABELS = {
    MemberStatus.FULL: N_("Full member"),
    MemberStatus.PROBATIONARY: N_("Probationary member"),
    MemberStatus.ACTIVIST: N_("Activist (applicant)"),
}
ROLE_LABELS = {
    MemberRole.MEMBER: N_("Member"),
    MemberRole.SECRETARY: N_("Secretary"),
    MemberRole.DEPUTY_SECRETARY: N_("Deputy secretary"),
    MemberRole.COMMITTEE_MEMBER: N_("Committee member"),
}
MEMBERSHIP_STATE_LABELS = {
    MembershipState.PENDING: N_("Waiting for approval"),
    MembershipState.ACTIVE: N_("Active"),
    MembershipState.REJECTED: N_("Rejected"),
    MembershipState.TRANSFERRED_OUT: N_("Transferred out"),
}
PARTY_KIND_LABELS = {
    PartyOrgKind.COMMITTEE: N_("Party committee"),
    PartyOrgKind.GENERAL_BRANCH: N_("General branch"),
    PartyOrgKind.BRANCH: N_("Branch"),
    PartyOrgKind.JOINT_BRANCH: N_("Joint branch"),
}
# The web dashboard names the kinds in full, where no organization name stands beside them.
PARTY_KIND_LONG_LABELS = {
    PartyOrgKind.COMMITTEE: N_("Party committee"),
    PartyOrgKind.GENERAL_BRANCH: N_("General party branch"),
    PartyOrgKind.BRANCH: N_("Party branch"),
    PartyOrgKind.JOINT_BRANCH: N_("Joint party branch"),
}
SOCIAL_TYPE_LABELS = {
    SocialOrgType.ASSOCIATION: N_("Social association"),
    SocialOrgType.PRIVATE_NON_PROFIT: N_("Private non-profit (social service organization)"),
    SocialOrgType.FOUNDATION: N_("Foundation"),
    SocialOrgType.INTERMEDIARY: N_("Social intermediary"),
    SocialOrgType.COMMUNITY: N_("Community organization"),
}

# ---------------------------------------------------------------------------------------------
# Meetings, check-in and compliance
# ---------------------------------------------------------------------------------------------

MEETING_KIND_LABELS = {
    MeetingKind.ASSEMBLY: N_("Branch general assembly"),
    MeetingKind.COMMITTEE: N_("Branch committee meeting"),
    MeetingKind.GROUP: N_("Party group meeting"),
    MeetingKind.LESSON: N_("Party lesson"),
    MeetingKind.THEME_DAY: N_("Theme party day"),
    MeetingKind.ORG_LIFE: N_("Organizational life meeting"),
    MeetingKind.APPRAISAL: N_("Democratic appraisal of members"),
}
MEETING_STATE_LABELS = {
    MeetingState.SCHEDULED: N_("Scheduled"),
    MeetingState.CHECKIN_OPEN: N_("Check-in open"),
    MeetingState.CLOSED: N_("Closed"),
    MeetingState.CANCELLED: N_("Cancelled"),
}
ATTENDANCE_STATUS_LABELS = {
    AttendanceStatus.EXPECTED: N_("expected"),
    AttendanceStatus.ATTENDING: N_("will attend"),
    AttendanceStatus.LEAVE_REQUESTED: N_("leave requested"),
    AttendanceStatus.ON_LEAVE: N_("on leave"),
    AttendanceStatus.PRESENT: N_("present"),
    AttendanceStatus.ABSENT: N_("absent"),
    AttendanceStatus.GUEST: N_("guest"),
    AttendanceStatus.GUEST_PRESENT: N_("guest, present"),
}
CHECKIN_METHOD_LABELS = {
    CheckinMethod.TAP: N_("tap"),
    CheckinMethod.CODE: N_("room code"),
    CheckinMethod.LOCATION: N_("location"),
    CheckinMethod.MANUAL: N_("by hand"),
}
# rules.meetings.ComplianceStatus
COMPLIANCE_STATUS_LABELS = {
    "met": N_("met"),
    "due": N_("due"),
    "missing": N_("missing"),
    "not_required": N_("not required"),
}


def meeting_kind_labels(t: Translator) -> dict[MeetingKind, str]:
    """Meeting kind names in the reader's language."""
    return {kind: t(MEETING_KIND_LABELS[kind]) for kind in MeetingKind}


# ---------------------------------------------------------------------------------------------
# Training hours
# ---------------------------------------------------------------------------------------------

TRAINING_KIND_LABELS = {
    TrainingKind.CONCENTRATED: N_("Concentrated training"),
    TrainingKind.LESSON: N_("Party lesson"),
    TrainingKind.ONLINE: N_("Online study"),
    TrainingKind.OTHER: N_("Other study"),
}
TRAINING_GROUP_LABELS = {
    TrainingGroup.LEADER: N_("Secretaries and committee members"),
    TrainingGroup.MEMBER: N_("Party members"),
}
TRAINING_STATE_LABELS = {
    TrainingState.PENDING: N_("Waiting for verification"),
    TrainingState.VERIFIED: N_("Verified"),
    TrainingState.REJECTED: N_("Not accepted"),
    TrainingState.WITHDRAWN: N_("Withdrawn"),
}


def training_kind_label(t: Translator, kind: TrainingKind) -> Html:
    return t(TRAINING_KIND_LABELS[kind])


def training_kind_labels(t: Translator) -> dict[TrainingKind, str]:
    return {kind: training_kind_label(t, kind) for kind in TrainingKind}


def training_group_labels(t: Translator) -> dict[TrainingGroup, str]:
    return {group: t(label) for group, label in TRAINING_GROUP_LABELS.items()}


# ---------------------------------------------------------------------------------------------
# Reporting duties, notices and reminders
# ---------------------------------------------------------------------------------------------

# The default calendar of rules/duties.py, by code; custom duties carry their own title.
DUTY_TITLES = {
    "secretary_report": N_("Secretary's annual report and appraisal"),
    "inspection_supervisor": N_(
        "Annual inspection: party-building checklist to the supervising unit"
    ),
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
    Recurrence.ONCE: N_("Once"),
    Recurrence.MONTHLY: N_("Monthly"),
    Recurrence.QUARTERLY: N_("Quarterly"),
    Recurrence.YEARLY: N_("Yearly"),
}
# Under a deadline marked "≈" (rules.duties.DutyOccurrence.approximate).
APPROXIMATE_NOTE = N_(
    "≈ Approximate: no official holiday schedule is loaded for that year, so holidays are "
    "estimated from the statutory dates and make-up working days are unknown."
)


def duty_title(t: Translator, code: str | None, title: str | None) -> Html:
    """A reporting duty's name in the reader's language."""
    if code in DUTY_TITLES:
        return t(DUTY_TITLES[code])
    return escape(title or "?")


NOTICE_STATE_LABELS = {
    NoticeState.DRAFT: N_("draft"),
    NoticeState.SCHEDULED: N_("scheduled"),
    NoticeState.SENDING: N_("sending"),
    NoticeState.SENT: N_("sent"),
    NoticeState.WITHDRAWN: N_("withdrawn"),
}
# The reminders a person may switch off in /settings (rules.vocabulary.MUTABLE_REMINDER_KINDS).
REMINDER_KIND_LABELS = {
    ReminderKind.MEETING: N_("Meetings I am expected at"),
    ReminderKind.TRAINING: N_("Training behind schedule"),
    ReminderKind.COMPLIANCE: N_("Meetings not held yet this period (leaders)"),
    ReminderKind.DRIFT: N_("Members without organizational life (leaders)"),
    ReminderKind.RENEWAL: N_("Committee term renewal (leaders)"),
    ReminderKind.DUTY: N_("Reporting deadlines"),
}

"""Notices (issue 7): drafts, audiences, confirmation into the outbox, read receipts,
reminders to non-readers, withdrawal and the counts shown to authors and on the dashboard.

A notice's copies are outbox rows of kind "notice" under the key notice:<id>:<person> and
the subject notice:<id>; confirming moves the notice out of "draft" in one UPDATE, so a
second press finds nothing to confirm, and the unique key sends each person one copy.
Confirming also splits the notice into its messages once (notices.parts); the courier sends
those to every recipient instead of splitting the text again for each one, and the copies
carry no text of their own (copies planned before parts were stored carry the notice's text).

One module each: `copies` (the copies' kinds and keys, the messages a notice is sent as),
`audience`, `drafts` (and confirmation), `receipts` (what recipients received and read,
non-readers and the reminder to them), `withdrawal`, `groups` (posts in linked group chats),
`progress` (counts, lists, the author's
progress message, a notice's state as its copies go out). Import the names from here
(`from storage import notices`).
"""

from __future__ import annotations

from storage.notices.audience import Audience, Recipient, count_recipients, recipients, scope_orgs
from storage.notices.copies import (
    GROUP_KIND,
    KIND,
    REMIND_KIND,
    SPLIT_INLINE,
    WITHDRAWN_KIND,
    group_key,
    key_of,
    notice_of_key,
    plan_messages,
    planned_steps,
    subject_of,
)
from storage.notices.drafts import (
    Confirmed,
    ConfirmOutcome,
    Draft,
    confirm,
    discard_draft,
    save_draft,
)
from storage.notices.groups import GroupCopy, linked_groups, sent_group_posts
from storage.notices.progress import (
    OPEN_STATES,
    Counts,
    NoticeRow,
    advance,
    counts,
    list_by_author,
    list_in_subtree,
    mark_shown,
    progress_due,
    set_progress_message,
)
from storage.notices.receipts import (
    NonReader,
    ReadOutcome,
    Received,
    RemindOutcome,
    non_readers,
    received_by,
    recipient,
    record_read,
    remind_non_readers,
    was_delivered,
)
from storage.notices.withdrawal import languages_of_recipients, withdraw

__all__ = [
    "GROUP_KIND",
    "KIND",
    "OPEN_STATES",
    "REMIND_KIND",
    "SPLIT_INLINE",
    "WITHDRAWN_KIND",
    "Audience",
    "ConfirmOutcome",
    "Confirmed",
    "Counts",
    "Draft",
    "GroupCopy",
    "NonReader",
    "NoticeRow",
    "ReadOutcome",
    "Received",
    "Recipient",
    "RemindOutcome",
    "advance",
    "confirm",
    "count_recipients",
    "counts",
    "discard_draft",
    "group_key",
    "key_of",
    "languages_of_recipients",
    "linked_groups",
    "list_by_author",
    "list_in_subtree",
    "mark_shown",
    "non_readers",
    "notice_of_key",
    "plan_messages",
    "planned_steps",
    "progress_due",
    "received_by",
    "recipient",
    "recipients",
    "record_read",
    "remind_non_readers",
    "save_draft",
    "scope_orgs",
    "sent_group_posts",
    "set_progress_message",
    "subject_of",
    "was_delivered",
    "withdraw",
]

"""Who a branch's group chat lets in (issue 18).

The group is where the branch meets, so it admits whom the branch's meetings expect or invite:
its members (正式 and 预备党员, counted in 应到) and its activists (入党积极分子, invited as
guests, 列席), and whoever leads the branch (its secretaries, or leaders above it). Everyone
else is declined: an applicant (入党申请人, not invited to meetings yet), someone whose
registration still waits for approval, and whoever has no current membership of the branch
(a stranger, or a member of another branch). A 党小组's own chat admits that group's members
and activists and the branch's leaders; the branch's other members are told theirs is another.
"""

from __future__ import annotations

import enum

from rules.meetings import MEMBER_STATUSES
from rules.vocabulary import MembershipState, MemberStatus


class Placement(enum.StrEnum):
    """Where a person asking to join the branch's group stands with the branch."""

    MEMBER = "member"
    GUEST = "guest"  # an activist of the branch
    LEADER = "leader"  # leads the branch (from above it, or an admin)
    PENDING = "pending"  # registered with the branch, not yet approved
    APPLICANT = "applicant"
    OTHER_GROUP = "other_group"  # of the branch, in another 党小组 (a 党小组's chat)
    UNKNOWN = "unknown"  # no current membership of the branch


ADMITTED = frozenset({Placement.MEMBER, Placement.GUEST, Placement.LEADER})


def place(state: MembershipState | None, status: MemberStatus | None, *,
          leads: bool, in_group: bool = True) -> Placement:
    """The placement of someone whose membership of the branch (if any) is `state`/`status`;
    `leads`: they may run the branch; `in_group`: the chat is the branch's, or they belong to
    the 党小组 whose chat it is."""
    active = state is MembershipState.ACTIVE
    belongs = active and (status in MEMBER_STATUSES or status is MemberStatus.ACTIVIST)
    if belongs and in_group:
        return Placement.MEMBER if status in MEMBER_STATUSES else Placement.GUEST
    if leads:
        return Placement.LEADER
    if belongs:
        return Placement.OTHER_GROUP
    if active:
        return Placement.APPLICANT
    if state is MembershipState.PENDING:
        return Placement.PENDING
    return Placement.UNKNOWN

"""The shape of the organization tree (seed 000 art. 14-19; seed 002 §9)."""

from __future__ import annotations

from rules.vocabulary import PartyOrgKind

# Which kinds may sit directly under which: branches under a 党委 or 党总支, 党总支 under a 党委.
ALLOWED_PARENTS: dict[PartyOrgKind, frozenset[PartyOrgKind]] = {
    PartyOrgKind.COMMITTEE: frozenset({PartyOrgKind.COMMITTEE}),
    PartyOrgKind.GENERAL_BRANCH: frozenset({PartyOrgKind.COMMITTEE}),
    PartyOrgKind.BRANCH: frozenset({PartyOrgKind.COMMITTEE, PartyOrgKind.GENERAL_BRANCH}),
    PartyOrgKind.JOINT_BRANCH: frozenset({PartyOrgKind.COMMITTEE, PartyOrgKind.GENERAL_BRANCH}),
}
# Members register into these; a 党委's members belong to its branches.
MEMBER_KINDS = frozenset(
    {PartyOrgKind.BRANCH, PartyOrgKind.JOINT_BRANCH, PartyOrgKind.GENERAL_BRANCH}
)
# 党小组 are formed inside a branch (党支部工作条例 art. 8).
GROUP_KINDS = frozenset({PartyOrgKind.BRANCH, PartyOrgKind.JOINT_BRANCH})


def can_be_parent(child: PartyOrgKind, parent: PartyOrgKind | None) -> bool:
    """A top-level organization (parent None) is always allowed."""
    return parent is None or parent in ALLOWED_PARENTS[child]


# A social organization with this many full members sets up its own branch (seed 000 art. 14).
OWN_BRANCH_MIN_FULL_MEMBERS = 3

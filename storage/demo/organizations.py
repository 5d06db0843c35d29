"""The demo's organizations and people: the tree with its social organizations, 党小组 and
two requirement overrides; people, memberships (some with history), preferences, invites."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from typing import Any

from rules.terms import add_years, term_years
from rules.vocabulary import (
    MemberRole,
    MembershipState,
    MemberStatus,
    PartyOrgKind,
    SocialOrgType,
    TrainingGroup,
)
from storage.demo.province import FIRST_TELEGRAM_ID, PlannedPerson, Province
from storage.demo.word_lists import BRANCH_ORDINALS, GROUP_NAMES, INDUSTRIES
from storage.demo.writer import RowWriter
from storage.models import (
    AuditEvent,
    Invite,
    Membership,
    NotificationPreference,
    PartyGroup,
    PartyOrganization,
    Person,
    SocialOrganization,
    TrainingRequirement,
)

NON_PARTY_SHARE = 0.1  # social organizations without a party organization of their own


class OrganizationsWriting(Province):
    """Writes the tree and the people the plan laid out."""

    async def _write_tree(self, w: RowWriter) -> None:
        rng = self.rng
        for org in self.orgs:
            years = term_years(org.kind)
            roll = rng.random()
            if roll < 0.03:
                started: date | None = None  # never recorded
            else:
                # 8% overdue, 10% ending within four months, the rest later.
                ends = self.today + timedelta(
                    days=-rng.randint(1, 300) if roll < 0.11
                    else rng.randint(1, 120) if roll < 0.21
                    else rng.randint(121, 365 * years - 30)
                )
                started = add_years(ends, -years)
            created = self.random_moment(self.history_start - timedelta(days=400),
                                         self.history_start)
            await w.add(PartyOrganization, {
                "id": org.id, "name": org.name, "kind": org.kind, "parent_id": org.parent_id,
                "term_started_on": started, "term_years": None, "created_at": created,
            })
            await w.add(AuditEvent, {
                "id": self.new_id("audit"), "at": created, "actor_telegram_id": None,
                "action": "party_org.create", "target_type": "party_organization",
                "target_id": org.id, "details": {"after": {
                    "name": org.name, "kind": org.kind.value, "parent_id": org.parent_id}},
            })
            org.term_started = started
        for org in self.orgs:
            covered: list[tuple[str, SocialOrgType]] = []
            if org.kind is PartyOrgKind.JOINT_BRANCH:
                for _ in range(rng.randint(2, 5)):
                    org_type = rng.choice(org.industry.types)
                    covered.append((self.social_name(org.industry, org_type), org_type))
                org.social_name = covered[0][0]
            elif org.kind is PartyOrgKind.GENERAL_BRANCH or (
                org.kind is PartyOrgKind.BRANCH and not org.name.endswith(
                    tuple(f"{o}党支部" for o in BRANCH_ORDINALS))
            ):
                covered.append((org.social_name, rng.choice(org.industry.types)))
            for name, org_type in covered:
                await w.add(SocialOrganization, {
                    "id": self.new_id("social"), "name": name, "org_type": org_type,
                    "party_organization_id": org.id, "created_at": self.history_start,
                })
        for _ in range(max(1, int(self.next_id.get("social", 0) * NON_PARTY_SHARE))):
            industry = rng.choice(INDUSTRIES)
            org_type = rng.choice(industry.types)
            await w.add(SocialOrganization, {
                "id": self.new_id("social"), "name": self.social_name(industry, org_type),
                "org_type": org_type, "party_organization_id": None,
                "created_at": self.history_start,
            })
        for org in self.branches():
            if len(org.members) < 15:
                continue
            for k in range(min(len(GROUP_NAMES), math.ceil(len(org.members) / 12))):
                group_id = self.new_id("group")
                org.groups.append(group_id)
                await w.add(PartyGroup, {
                    "id": group_id, "party_organization_id": org.id, "name": GROUP_NAMES[k],
                })
            for k, person_id in enumerate(org.members):
                org.group_of[person_id] = org.groups[k % len(org.groups)]
        # Two upper levels ask more than the defaults (inherited by their subtree).
        await w.add(TrainingRequirement, {
            "party_organization_id": 2, "role_group": TrainingGroup.MEMBER,
            "required_minutes": 40 * 60, "set_by": None, "set_at": self.history_start,
        })
        await w.add(TrainingRequirement, {
            "party_organization_id": 1, "role_group": TrainingGroup.LEADER,
            "required_minutes": 24 * 60, "set_by": None, "set_at": self.history_start,
        })

    async def _write_people(self, w: RowWriter) -> None:
        rng = self.rng
        org_of = {pid: org for org in self.orgs for pid in org.members}
        branches = self.branches()
        for person in self.people:
            org = org_of[person.id]
            created = self.random_moment(self.history_start - timedelta(days=200), self.now -
                                         timedelta(days=20))
            if person.pending:
                created = self.now - timedelta(days=rng.randint(1, 10), hours=rng.randint(0, 20))
            await w.add(Person, {
                "id": person.id, "telegram_id": person.telegram_id, "real_name": person.name,
                "language": "en" if rng.random() < 0.05 else "zh",
                "phone": f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
                if rng.random() < 0.6 else None,
                "created_at": created,
            })
            if person.status is MemberStatus.FULL:
                joined: date | None = self.today - timedelta(days=rng.randint(400, 365 * 45))
            elif person.status is MemberStatus.PROBATIONARY:
                joined = self.today - timedelta(days=rng.randint(10, 360))
            else:
                joined = None
            person.joined = joined
            moved = bool(branches) and not person.pending and rng.random() < 0.02
            if moved:  # came from another branch: the old membership stays as history
                old = rng.choice(branches)
                await w.add(Membership, self._membership(
                    self.new_id("history") + len(self.people), person, old.id,
                    MembershipState.TRANSFERRED_OUT, MemberRole.MEMBER, joined, None, created,
                    transferred=(created + timedelta(days=rng.randint(30, 200)), org.name),
                ))
            await w.add(Membership, self._membership(
                person.id, person, org.id,
                MembershipState.PENDING if person.pending else MembershipState.ACTIVE,
                person.role, joined,
                org.group_of.get(person.id), created,
            ))
            if rng.random() < 0.05:
                await w.add(NotificationPreference, {
                    "person_id": person.id,
                    "muted_kinds": sorted(rng.sample(["meeting", "training", "duty", "drift"],
                                                     rng.randint(1, 2))),
                    "digest": rng.random() < 0.5, "updated_at": created,
                })
        for org in branches:
            if rng.random() < 0.3:
                made = self.now - timedelta(days=rng.randint(0, 30))
                await w.add(Invite, {
                    "id": self.new_id("invite"), "code": self.hex(64),
                    "party_organization_id": org.id, "created_by": self.secretary_tg(org),
                    "created_at": made, "expires_at": made + timedelta(days=14),
                    "max_uses": None, "uses": rng.randint(0, 5), "revoked_at": None,
                })

    def _membership(self, id_: int, person: PlannedPerson, org_id: int, state: MembershipState,
                    role: MemberRole, joined: date | None, group: int | None,
                    requested: datetime,
                    transferred: tuple[datetime, str] | None = None) -> dict[str, Any]:
        decided = None if state is MembershipState.PENDING else requested + timedelta(days=1)
        return {
            "id": id_, "person_id": person.id, "party_organization_id": org_id, "state": state,
            "status": person.status, "role": role, "joined_party_on": joined,
            "party_group_id": group, "invite_id": None, "requested_at": requested,
            "decided_at": decided, "decided_by": None if decided is None else FIRST_TELEGRAM_ID,
            "reject_reason": None,
            "transferred_out_at": transferred[0] if transferred else None,
            "transferred_to": transferred[1] if transferred else None,
        }

"""Writing what an import file lists into the database, row by row, reporting what the
database or the tree rules refuse."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from rules.tree import ALLOWED_PARENTS, GROUP_KINDS, MEMBER_KINDS
from rules.vocabulary import MemberRole, MemberStatus, PartyOrgKind
from storage import orgs, people
from storage.models import PartyOrganization, Person
from storage.org_import.columns import GROUP, MEMBER, PARTY, RECORD_KINDS, SOCIAL, kind_label
from storage.org_import.parsing import GroupRow, MemberRow, PartyRow, RowParser, SocialRow


class Importer(RowParser):
    """Parses the rows, then writes the valid ones: party organizations (parents first), social
    organizations, 党小组 and appointments, each in a savepoint so a refused row leaves nothing."""

    def __init__(self, today: date, actor_telegram_id: int | None) -> None:
        super().__init__(today)
        self.actor = actor_telegram_id
        self.created = dict.fromkeys(RECORD_KINDS, 0)
        # Party organizations resolved by name: created from the file or found in the database.
        self.resolved: dict[str, tuple[int, PartyOrgKind] | None] = {}

    async def _target(
        self, session: AsyncSession, row: int, name: str
    ) -> tuple[int, PartyOrgKind] | None:
        """The party organization a row refers to, created from the file or already in the
        database; None to skip the row (reported, unless it names a failed row of the file).
        """
        if name not in self.resolved:
            found = await orgs.party_org_by_name(session, name)
            self.resolved[name] = (found.id, found.kind) if found is not None else None
        target = self.resolved[name]
        if target is None and name not in self.blocked:
            self.error(row, "parent", f"unknown party organization '{name}'")
        return target

    async def _guarded(self, session: AsyncSession, row: int, step: Awaitable[object]) -> bool:
        """Run a creating step in a savepoint, so a refused row leaves nothing behind.

        TreeError and MembershipError propagate to the caller, which names the column.
        """
        try:
            async with session.begin_nested():
                await step
        except IntegrityError as exc:
            self.error(row, None, f"the database refused this row: {exc.orig}")
            return False
        return True

    async def create_party(self, session: AsyncSession, party: PartyRow) -> None:
        parent_id: int | None = None
        parent_kind: PartyOrgKind | None = None
        if party.parent is not None:
            target = await self._target(session, party.row, party.parent)
            if target is None:
                self.blocked.add(party.name)
                return
            parent_id, parent_kind = target

        async def step() -> None:
            org = await orgs.create_party_org(
                session, name=party.name, kind=party.kind, parent_id=parent_id,
                actor_telegram_id=self.actor,
            )
            if party.term_start is not None or party.term_years is not None:
                await orgs.set_term(
                    session, org, started_on=party.term_start, years=party.term_years,
                    actor_telegram_id=self.actor,
                )
            self.resolved[party.name] = (org.id, org.kind)

        try:
            ok = await self._guarded(session, party.row, step())
        except orgs.TreeError as exc:
            ok = False
            if exc.code == "duplicate_party_org":
                self.error(
                    party.row, "name",
                    f"party organization '{party.name}' already exists in the database",
                )
            elif exc.code == "bad_parent_kind" and parent_kind is not None:
                allowed = " or ".join(
                    kind_label(k) for k in PartyOrgKind if k in ALLOWED_PARENTS[party.kind]
                )
                self.error(
                    party.row, "parent",
                    f"a {kind_label(party.kind)} cannot be placed under '{party.parent}', "
                    f"a {kind_label(parent_kind)}; it goes under a {allowed}",
                )
            elif exc.code == "bad_term_years":
                self.error(party.row, "term_years", "the term length is out of range")
            else:
                self.error(party.row, None, f"refused: {exc.code} {exc.name}".strip())
        if ok:
            self.created[PARTY] += 1
        else:
            self.blocked.add(party.name)

    async def create_social(self, session: AsyncSession, social: SocialRow) -> None:
        party_id: int | None = None
        if social.parent is not None:
            target = await self._target(session, social.row, social.parent)
            if target is None:
                return
            party_id = target[0]
        try:
            ok = await self._guarded(
                session, social.row,
                orgs.create_social_org(
                    session, name=social.name, org_type=social.org_type,
                    party_org_id=party_id, actor_telegram_id=self.actor,
                ),
            )
        except orgs.TreeError as exc:
            ok = False
            if exc.code == "duplicate_social_org":
                self.error(
                    social.row, "name",
                    f"social organization '{social.name}' already exists in the database",
                )
            else:
                self.error(social.row, None, f"refused: {exc.code} {exc.name}".strip())
        if ok:
            self.created[SOCIAL] += 1

    async def _org(self, session: AsyncSession, org_id: int) -> PartyOrganization:
        org = await session.get(PartyOrganization, org_id)
        assert org is not None
        return org

    async def create_group(self, session: AsyncSession, group: GroupRow) -> None:
        target = await self._target(session, group.row, group.parent)
        if target is None:
            return
        org_id, kind = target
        org = await self._org(session, org_id)
        try:
            ok = await self._guarded(
                session, group.row,
                orgs.create_group(
                    session, org=org, name=group.name, actor_telegram_id=self.actor
                ),
            )
        except orgs.TreeError as exc:
            ok = False
            if exc.code == "duplicate_group":
                self.error(
                    group.row, "name",
                    f"party group '{group.name}' already exists in '{group.parent}'",
                )
            elif exc.code == "groups_only_in_branches":
                allowed = " or ".join(kind_label(k) for k in PartyOrgKind if k in GROUP_KINDS)
                self.error(
                    group.row, "parent",
                    f"'{group.parent}' is a {kind_label(kind)}; 党小组 are formed only in "
                    f"a {allowed}",
                )
            else:
                self.error(group.row, "parent", f"refused: {exc.code} {exc.name}".strip())
        if ok:
            self.created[GROUP] += 1

    async def appoint_member(self, session: AsyncSession, member: MemberRow) -> None:
        target = await self._target(session, member.row, member.parent)
        if target is None:
            return
        org_id, kind = target
        if member.role is MemberRole.MEMBER and kind not in MEMBER_KINDS:
            self.error(
                member.row, "parent",
                f"'{member.parent}' is a {kind_label(kind)}: its members belong to its "
                "branches; only committee roles (书记, 副书记, 委员) are given here",
            )
            return
        org = await self._org(session, org_id)

        async def step() -> None:
            membership = await people.appoint_by_telegram_id(
                session, org, member.telegram_id, member.role,
                status=MemberStatus.FULL,
                # The people module types the actor as int; None (an import from the
                # command line, no Telegram user) is stored as NULL like elsewhere.
                actor_telegram_id=self.actor,
                language="zh",
            )
            if member.real_name:
                person = await session.get(Person, membership.person_id)
                if person is not None and not person.real_name:
                    person.real_name = member.real_name

        try:
            ok = await self._guarded(session, member.row, step())
        except people.MembershipError as exc:
            ok = False
            if exc.code == "member_elsewhere":
                where = ""
                person = await people.person_by_telegram_id(session, member.telegram_id)
                current = (
                    await people.current_membership(session, person.id) if person else None
                )
                if current is not None:
                    where = f" ('{current.party_organization.name}')"
                self.error(
                    member.row, "telegram_id",
                    f"Telegram id {member.telegram_id} already belongs to another party "
                    f"organization{where}; transfer them out first",
                )
            else:
                self.error(member.row, None, f"refused: {exc.code}")
        if ok:
            self.created[MEMBER] += 1

    async def apply(self, session: AsyncSession) -> None:
        for party in self.party_order():
            await self.create_party(session, party)
        for row, parent in self.references:
            await self._target(session, row, parent)
        for social in self.socials:
            await self.create_social(session, social)
        for group in self.groups:
            await self.create_group(session, group)
        for member in self.members:
            await self.appoint_member(session, member)

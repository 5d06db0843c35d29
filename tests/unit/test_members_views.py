"""The texts and buttons of /members and /invite, without a database or Telegram."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from telegram import InlineKeyboardMarkup

from handlers.invites.views import ShowInvite, invite_message
from handlers.kit.actions import Reply
from handlers.kit.buttons import BadCallback, MembershipId, OrgId
from handlers.kit.i18n import translator
from handlers.members.views import MemberCard, SetRole, card, member_list
from rules.vocabulary import MemberRole, MembershipState, MemberStatus, PartyOrgKind
from storage.models import Membership, PartyOrganization, Person

t = translator("en")
TZ = ZoneInfo("Asia/Shanghai")
BRANCH = PartyOrganization(id=7, name="Branch A", kind=PartyOrgKind.BRANCH)


def member(mid: int, name: str, *, state: MembershipState = MembershipState.ACTIVE,
           phone: str | None = None) -> Membership:
    return Membership(
        id=mid, person_id=100 + mid, party_organization_id=BRANCH.id, party_organization=BRANCH,
        person=Person(id=100 + mid, telegram_id=900 + mid, real_name=name, phone=phone),
        state=state, status=MemberStatus.FULL, role=MemberRole.MEMBER, party_group=None,
        joined_party_on=date(2015, 7, 1), requested_at=datetime(2024, 3, 1, 20, tzinfo=UTC),
        decided_at=None, transferred_out_at=datetime(2025, 1, 2, 20, tzinfo=UTC)
        if state is MembershipState.TRANSFERRED_OUT else None,
        transferred_to=None,
    )


def data(reply: Reply) -> list[str]:
    assert isinstance(reply.markup, InlineKeyboardMarkup)
    return [str(b.callback_data) for row in reply.markup.inline_keyboard for b in row]


def labels(reply: Reply) -> list[str]:
    assert isinstance(reply.markup, InlineKeyboardMarkup)
    return [b.text for row in reply.markup.inline_keyboard for b in row]


def test_the_list_pages_eight_members_with_the_wire_data_of_before() -> None:
    members = [member(i, f"Member {i}") for i in range(1, 11)]
    first = member_list(t, TZ, OrgId(7), "Branch A", members, 0, gone=False, many_orgs=True)
    assert "<b>Branch A</b>: 10 active members" in first.text
    assert labels(first)[0] == "Member 1 · Full member · Member"
    assert data(first)[:8] == [f"mem:card:{i}" for i in range(1, 9)]
    assert data(first)[8:] == ["mem:list:7:0", "mem:list:7:1", "mem:gone:7:0", "mem:pick:0"]
    second = member_list(t, TZ, OrgId(7), "Branch A", members, 1, gone=False, many_orgs=False)
    assert data(second) == ["mem:card:9", "mem:card:10", "mem:list:7:0", "mem:list:7:1",
                            "mem:gone:7:0"]


def test_transferred_members_show_the_day_they_left() -> None:
    gone = [member(3, "Bob Li", state=MembershipState.TRANSFERRED_OUT)]
    reply = member_list(t, TZ, OrgId(7), "Branch A", gone, 0, gone=True, many_orgs=False)
    assert labels(reply) == ["Bob Li · 2025-01-03", "‹ Active members"]  # Shanghai's day
    assert data(reply) == ["mem:card:3", "mem:list:7:0"]


def test_a_card_offers_edits_only_to_who_may_make_them() -> None:
    alice = member(1, "Alice Wang", phone="+8613800001234")
    editable = card(t, TZ, alice, "+8613800001234", editable=True, may_appoint=True)
    assert "Phone: +8613800001234" in editable.text and "Registered: 2024-03-02" in editable.text
    assert data(editable) == [
        "mem:st:1", "mem:rl:1", "mem:gp:1", "tf:new:1", "mem:ex:1", "mem:list:7:0"]
    own = card(t, TZ, alice, "+86138****1234", editable=False, may_appoint=False,
               note=t("Status changed: {status}.", status="x"))
    assert own.text.startswith("Status changed: x.")
    assert "cannot change your own record" in own.text and "****" in own.text
    assert labels(own) == ["‹ Back"]
    gone = card(t, TZ, member(2, "Bob Li", state=MembershipState.TRANSFERRED_OUT), None,
                editable=True, may_appoint=True)
    assert data(gone) == ["mem:gone:7:0"] and "Transferred to: not given" in gone.text


def test_member_buttons_pack_as_before_and_refuse_what_they_never_carry() -> None:
    assert SetRole(MembershipId(5), MemberRole.COMMITTEE_MEMBER).pack() == (
        "mem:setrl:5:committee_member")
    assert MemberCard.unpack("mem:card:12") == MemberCard(MembershipId(12))
    for forged in ("mem:card:12:1", "mem:card:abc", "mem:setrl:5:emperor"):
        with pytest.raises(BadCallback):
            (SetRole if "setrl" in forged else MemberCard).unpack(forged)


def test_an_invite_names_its_branch_and_offers_a_new_or_single_link() -> None:
    reply = invite_message(t, OrgId(7), "Branch A", "https://t.me/bot?start=abc",
                           "2026-12-12 08:00", single=False)
    assert reply.text.startswith("<b>Invite link for Branch A</b>\nhttps://t.me/bot?start=abc")
    assert "Valid until 2026-12-12 08:00." in reply.text
    assert data(reply) == ["inv:new:7", "inv:one:7"]
    assert ShowInvite(OrgId(7)).pack() == "inv:show:7"

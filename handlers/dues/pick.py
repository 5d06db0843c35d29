"""The member a secretary's flow is about, picked from a paged list of the branch's members who
owe dues (recording a payment, setting a standard); checked again at every step."""

from __future__ import annotations

from typing import Any

from handlers.access.dues import access_dues_member
from handlers.dues import payment, views
from handlers.kit.actions import Act
from handlers.kit.buttons import PersonId
from handlers.kit.chat import STALE_BUTTON, Refused
from handlers.kit.flows import Custom, Next, Rows
from handlers.kit.i18n import Html
from handlers.kit.ui import paged_rows
from storage import dues
from storage.models import Membership


async def member(act: Act, form: Any) -> Membership:
    """The member picked (the form's `person`): still active in the form's branch (`org`)."""
    membership = await access_dues_member(act, form.person or 0)
    if membership.party_organization_id != form.org:
        raise Refused(STALE_BUTTON)
    return membership


def member_step(prompt: str, reset: dict[str, Any]) -> Custom[Any]:
    """The step `person`: `prompt` (a message id) over the members, the months each owes
    counted; picking one clears the answers in `reset` and stores the member's `name` if the
    form has one."""

    async def ask_member(act: Act, form: Any) -> tuple[Html, Rows]:
        members = await dues.branch_dues(act.session, form.org, payment.current(act),
                                         act.settings.dues_rules)
        if not members:
            return act.t("The branch has no members who owe dues."), []
        items = [views.PickMember(PersonId(m.person_id)).button(
            views.named(act.t, m.name, m.person_id) + (f" · {len(m.owed)}" if m.owed else ""))
            for m in members]
        return act.t(prompt), paged_rows(act.t, items, form.page,
                                         lambda page: views.MemberPage(page))

    async def pick_member(act: Act, form: Any, press: views.PickMember) -> Next:
        picked = await member(act, form.model_copy(update={"person": press.person}))
        named = ({"name": views.named(act.t, picked.person.real_name or "", picked.person_id)}
                 if "name" in type(form).model_fields else {})
        return Next({"person": press.person, **reset, **named})

    async def turn_page(act: Act, form: Any, press: views.MemberPage) -> Next:
        return Next({"page": max(press.page, 0)}, stay=True)

    return Custom(key="person", render=ask_member,
                  presses=((views.PickMember, pick_member), (views.MemberPage, turn_page)))

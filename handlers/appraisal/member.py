"""A member's own part of the appraisal: whether it is open, their self-assessment, the grades
they gave (to fellow members one by one: optional, changeable until it closes) and their own
result once recorded. Never another member's grades, the counts or a ranking."""

from __future__ import annotations

from handlers.access.appraisal import access_own_part, access_peer
from handlers.appraisal import board, views
from handlers.kit.actions import Act, CommandArgs, Reply
from handlers.kit.buttons import OrgId
from handlers.kit.i18n import N_, Html, html_join
from rules.appraisal import keeps_appraisal
from storage import appraisal
from storage.appraisal import AppraisalError, Appraisee
from storage.models import Appraisal

NOT_APPRAISED = N_("Full and probationary members are appraised; you are not one yet.")


async def open_appraisal(act: Act, _: CommandArgs) -> Reply | None:
    """The committee and leaders: the board (a choice of branch for leaders of several);
    everyone else: their own part."""
    actor = act.actor
    if actor.is_admin or actor.leads_a_branch:
        return await board.PICKER.open(
            act, nothing=board.NOTHING,
            on_one=lambda org: board.board_reply(act, org, back=False))
    if keeps_appraisal(actor):
        return await board.board_reply(act, OrgId(actor.org_id or 0), back=False)
    if not await appraisal.appraisees(act.session, actor.org_id or 0,
                                      only=actor.person_id or 0):
        return Reply(act.t(NOT_APPRAISED))
    return await own_reply(act)


async def show_mine(act: Act, _: views.MyAppraisal) -> Reply:
    return await own_reply(act)


async def own_reply(act: Act, head: Html | None = None) -> Reply:
    me, current = await access_own_part(act)
    state = board.state_of(current)
    others = [m for m in await appraisal.appraisees(act.session, act.actor.org_id or 0)
              if m.person_id != me.person_id]
    own_text = given = result = None
    if current is not None:
        own_text = await appraisal.own_self(act.session, current.id, me.person_id)
        given = await appraisal.grades_given(act.session, current.id, me.person_id)
        result = await appraisal.own_result(act.session, current.id, me.person_id)
    text = views.member_text(
        act.t, current.year if current else None, state=state, own_text=own_text,
        graded=len(given or {}), others=len(others), result=result,
        closed_on=act.local(current.closed_at).date() if current and current.closed_at
        else None)
    markup = views.member_markup(act.t, state=state, written=own_text is not None,
                                 others=len(others))
    return Reply(html_join("\n\n", [head, text]) if head else text, markup)


async def open_one(act: Act) -> tuple[Appraisee, Appraisal]:
    """The actor and their branch's open appraisal (else "closed")."""
    me, current = await access_own_part(act)
    if current is None or current.closed_at is not None:
        raise AppraisalError("closed")
    return me, current


async def peers(act: Act, press: views.PeerList) -> Reply:
    try:
        me, current = await open_one(act)
    except AppraisalError as refused:
        return await own_reply(act, act.t(views.REFUSALS[refused.code]))
    others = [m for m in await appraisal.appraisees(act.session, act.actor.org_id or 0)
              if m.person_id != me.person_id]
    given = await appraisal.grades_given(act.session, current.id, me.person_id)
    return Reply(views.peers_text(act.t), views.peers_markup(act.t, others, given, press.page))


async def pick_reply(act: Act, me: Appraisee, peer: Appraisee, current: Appraisal,
                     head: Html | None = None) -> Reply:
    """One member to grade, with a Skip to the next one after them (by name)."""
    others = [m for m in await appraisal.appraisees(act.session, act.actor.org_id or 0)
              if m.person_id != me.person_id]
    given = await appraisal.grades_given(act.session, current.id, me.person_id)
    at = next(i for i, m in enumerate(others) if m.person_id == peer.person_id)
    following = others[at + 1] if at + 1 < len(others) else None
    text = views.pick_text(act.t, peer, given.get(peer.person_id))
    return Reply(html_join("\n\n", [head, text]) if head else text,
                 views.pick_markup(act.t, peer, given.get(peer.person_id), following))


async def pick(act: Act, press: views.PeerPick) -> Reply:
    me, peer, current = await access_peer(act, press.person)
    if current is None or current.closed_at is not None:
        return await own_reply(act, act.t(views.REFUSALS["closed"]))
    return await pick_reply(act, me, peer, current)


async def grade(act: Act, press: views.PeerGrade) -> Reply:
    """Give (or change) a grade, then the next member after them, or the list at the end."""
    me, peer, current = await access_peer(act, press.person)
    try:
        if current is None:
            raise AppraisalError("closed")
        await appraisal.give_grade(act.session, current, grader=me.person_id,
                                   graded=peer.person_id, grade=press.grade,
                                   by=act.actor.telegram_id, now=act.now())
    except AppraisalError as refused:
        await act.session.rollback()
        return await own_reply(act, act.t(views.REFUSALS[refused.code]))
    head = act.t("✅ Your grade of {name}: {grade}.", name=views.named(
        act.t, peer.name, peer.person_id), grade=views.grade_label(act.t, press.grade))
    others = [m for m in await appraisal.appraisees(act.session, act.actor.org_id or 0)
              if m.person_id != me.person_id]
    at = next(i for i, m in enumerate(others) if m.person_id == peer.person_id)
    if at + 1 < len(others):
        return await pick_reply(act, me, others[at + 1], current, head)
    given = await appraisal.grades_given(act.session, current.id, me.person_id)
    return Reply(html_join("\n\n", [head, views.peers_text(act.t)]),
                 views.peers_markup(act.t, others, given, 0))


async def withdraw(act: Act, press: views.PeerWithdraw) -> Reply:
    me, peer, current = await access_peer(act, press.person)
    try:
        if current is None:
            raise AppraisalError("closed")
        await appraisal.withdraw_grade(act.session, current, grader=me.person_id,
                                       graded=peer.person_id, by=act.actor.telegram_id)
    except AppraisalError as refused:
        await act.session.rollback()
        return await own_reply(act, act.t(views.REFUSALS[refused.code]))
    head = act.t("↩ Your grade of {name} is withdrawn.",
                 name=views.named(act.t, peer.name, peer.person_id))
    return await pick_reply(act, me, peer, current, head)

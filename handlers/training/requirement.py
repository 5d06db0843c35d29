"""Admins set an organization's yearly training requirement per group (it holds below, where
nothing else is set), or clear it to follow the level above again (audited)."""

from __future__ import annotations

import logging
from typing import Any

from handlers.access.orgs import access_led_org
from handlers.kit.actions import ADMINS, Act, Reply
from handlers.kit.buttons import OrgId
from handlers.kit.chat import STALE_BUTTON
from handlers.kit.flows import Custom, Entry, Flow, Form, Next, Problem, Text
from handlers.kit.i18n import BLANK, N_, Html, html_join
from handlers.kit.pseudonyms import pseudonym
from handlers.kit.ui import keyboard
from handlers.labels import TRAINING_GROUP_LABELS
from handlers.training import views
from handlers.training.views import Rows
from rules import training as rules
from rules.training import DurationUnit, TrainingProblem
from rules.vocabulary import TrainingGroup
from storage import training as store

logger = logging.getLogger(__name__)


async def show_requirement(act: Act, press: views.ShowRequirement, note: Html = BLANK) -> Reply:
    """What each group owes a year in the organization, where that is set, and buttons to
    change it."""
    t, policy, org_id = act.t, act.settings.training_policy, press.org
    org = await access_led_org(act, org_id)
    sources = await store.requirement_sources(act.session, org_id, policy=policy)
    lines = [note, BLANK] if note else []
    lines.append(t("🎯 <b>Yearly training requirement · {org}</b>", org=org.name))
    rows: Rows = []
    for group in TrainingGroup:
        source = sources[group]
        label = t(TRAINING_GROUP_LABELS[group])
        where = (t("default of this deployment") if source.org_id is None
                 else t("set here") if source.org_id == org_id
                 else t("inherited from {org}", org=source.org_name or ""))
        lines.append(t("{group}: {length} ({source})", group=label,
                       length=views.duration(t, source.minutes, policy.hours_per_day),
                       source=where))
        row = [views.SetRequirement(org_id, group).button(
            t.as_plain("✏️ Set: {group}", group=label))]
        if source.org_id == org_id:
            row.append(views.ClearRequirement(org_id, group).button(
                t.as_plain("↩ Clear: {group}", group=label)))
        rows.append(row)
    lines.append(t("A value set here holds for every organization below it that sets none."))
    rows.append([views.ShowPanel(org_id).button(t("‹ Branch training"))])
    return Reply(html_join("\n", lines), keyboard(rows))


async def ask_clear(act: Act, press: views.ClearRequirement) -> Reply:
    """Confirm before the override is removed."""
    t = act.t
    org = await access_led_org(act, press.org)
    return Reply(
        t("Remove the yearly requirement of {group} set in {org}? It then follows the level "
          "above (or the deployment default).", group=t(TRAINING_GROUP_LABELS[press.group]),
          org=org.name),
        keyboard([[views.ClearedRequirement(press.org, press.group).button(t("↩ Yes, remove it"))],
                  [views.ShowRequirement(press.org).button(t("‹ Back"))]]),
    )


async def clear(act: Act, press: views.ClearedRequirement) -> Reply:
    """Remove the override (audited)."""
    await access_led_org(act, press.org)
    changed = await store.set_requirement(act.session, press.org, press.group, None,
                                          by=act.actor.telegram_id)
    note = act.t("↩ Removed.") if changed else act.t("Nothing was set here.")
    return await show_requirement(act, views.ShowRequirement(press.org), note)


# Setting it: the yearly hours typed, then confirmed


class RequirementForm(Form):
    org: OrgId
    group: TrainingGroup
    minutes: int | None = None


async def start(act: Act, press: views.SetRequirement) -> RequirementForm:
    await access_led_org(act, press.org)
    return RequirementForm(org=press.org, group=press.group)


async def may_set(act: Act, form: RequirementForm) -> None:
    """Only the upper level (configured admins) sets requirements."""
    act.check(act.actor.is_admin)
    await access_led_org(act, form.org)


async def now_required(act: Act, form: RequirementForm) -> int:
    policy = act.settings.training_policy
    return (await store.requirement_sources(act.session, form.org, policy=policy))[
        form.group].minutes


async def ask_hours(act: Act, form: RequirementForm) -> Html:
    t, hpd = act.t, act.settings.training_policy.hours_per_day
    org = await access_led_org(act, form.org)
    return t("How much training must {group} of {org} do a year? Now {length}. Type hours, for "
             "example 24, or days like 3 days (a day counts {hours} hours).",
             group=t(TRAINING_GROUP_LABELS[form.group]), org=org.name,
             length=views.duration(t, await now_required(act, form), hpd), hours=hpd)


async def back_button(act: Act, form: RequirementForm) -> Rows:
    return [[views.ShowRequirement(form.org).button(act.t("‹ Back"))]]


async def back_to_requirement(act: Act, form: RequirementForm, press: views.ShowRequirement
                              ) -> Reply:
    return await show_requirement(act, press)


async def read_hours(act: Act, form: RequirementForm, text: str) -> Any:
    """The typed yearly length: checked, then confirmed."""
    hpd = act.settings.training_policy.hours_per_day
    minutes = rules.parse_length(text, DurationUnit.HOURS, hpd)
    if minutes is None:
        return Problem(N_("Please type a number, for example 24 or 3 days."))
    if minutes is TrainingProblem.NOT_POSITIVE or minutes == 0:
        return Problem(N_("The requirement must be more than zero. Please type the hours "
                          "again, for example 24."))
    if isinstance(minutes, TrainingProblem) or minutes > store.MAX_REQUIRED_MINUTES:
        return Problem(N_("That is more than {max} a year; please check the number (hours a "
                          "year, not minutes) and type it again."),
                       max=views.duration(act.t, store.MAX_REQUIRED_MINUTES, hpd))
    return Next({"minutes": minutes})


async def render_confirm(act: Act, form: RequirementForm) -> tuple[Html, Rows]:
    t, hpd = act.t, act.settings.training_policy.hours_per_day
    org = await access_led_org(act, form.org)
    if form.minutes is None:
        act.refuse(STALE_BUTTON)
    text = t("Set the yearly requirement of {group} in {org} (and below, where nothing else is "
             "set): {before} → {after}?", group=t(TRAINING_GROUP_LABELS[form.group]),
             org=org.name, before=views.duration(t, await now_required(act, form), hpd),
             after=views.duration(t, form.minutes, hpd))
    return text, [[views.ConfirmRequirement().button(t("✅ Confirm"))],
                  [views.ShowRequirement(form.org).button(t("‹ Back"))]]


async def confirm(act: Act, form: RequirementForm, press: views.ConfirmRequirement) -> Reply:
    """Store the typed requirement (audited)."""
    if form.minutes is None:
        act.refuse(STALE_BUTTON)
    try:
        await store.set_requirement(act.session, form.org, form.group, form.minutes,
                                    by=act.actor.telegram_id)
    except store.TrainingError as error:
        act.refuse(views.ERROR_TEXTS.get(error.code, STALE_BUTTON))
    logger.info("admin %s set the %s requirement of org %s to %s min",
                pseudonym(act.actor.telegram_id), form.group.value, form.org, form.minutes)
    return await show_requirement(act, views.ShowRequirement(form.org), act.t("✅ Saved."))


REQUIREMENT = Flow(
    name="training_requirement", prefix="tr", form=RequirementForm, back=False, guard=may_set,
    entry=Entry(views.SetRequirement, ADMINS, start),
    steps=(
        Text(key="hours", ask=ask_hours, read=read_hours, buttons=back_button,
             presses=((views.ShowRequirement, back_to_requirement),)),
        Custom(key="rok", render=render_confirm, presses=(
            (views.ConfirmRequirement, confirm), (views.ShowRequirement, back_to_requirement))),
    ),
)

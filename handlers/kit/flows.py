"""Flows: a multi-step conversation declared as steps over a typed form.

    past_meeting = Flow(
        name="past_meeting", prefix="pm", form=PastMeetingForm,
        entry=Entry(RecordPastMeeting, LEADERS, start),   # creates the form, or refuses
        guard=lambda act, form: access_led_org(act, form.org),   # re-checked at every step
        steps=(
            Choose("kind", ask_kind, kind_options),
            Choose("group", ask_group, group_options, when=lambda f: f.kind is GROUP),
            Text("day", ask_day, read_day_typed),
            ...
            Confirm("save", summary, N_("💾 Save the record"), finish=save),
        ),
    )

The kit owns what every conversation needs: state names (the step keys), the cancel row,
re-asking a step after a bad answer, the form kept in the person's chat data as JSON (so it
survives a restart), stale presses (a step's button pressed when another step is current is
"no longer valid"), and `GoBack(step, message)` from the final check, which says why and asks
that step again. A step's buttons carry `<prefix>:<step>:<value>`; the value is checked
against what the step offers now, never trusted. What a step's handler answers: see
handlers/kit/steps.py.

A flow lives in the person's private chat: an entry pressed under a group's message (one that
handlers/privacy.py lets through) starts it there, so what they type next in that chat answers
it (see PrivateConversation).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Generic

from pydantic import ValidationError
from telegram import (
    InlineKeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ChatType
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
)
from telegram.ext._utils.types import ConversationKey

from handlers.kit.actions import (
    Act,
    Action,
    Reply,
    refuse,
    send_files,
    trigger_data,
    trigger_handlers,
)
from handlers.kit.buttons import BadCallback
from handlers.kit.chat import (
    STALE_BUTTON,
    Refused,
    current_actor,
    first_answer,
    send,
    show,
)
from handlers.kit.context import BranchContext
from handlers.kit.date_step import PENDING as DATE_PENDING
from handlers.kit.date_step import DateStep
from handlers.kit.i18n import Html, html_join, plain_text, translator
from handlers.kit.steps import (  # noqa: F401  (re-exported: features declare flows from here)
    CANCEL_DATA,
    END,
    INVALID_MESSAGES,
    AnyStep,
    Ask,
    Choose,
    Confirm,
    Custom,
    D,
    Day,
    Done,
    Entry,
    F,
    Finish,
    Form,
    GoBack,
    Next,
    Option,
    Presses,
    Problem,
    Rows,
    Shared,
    Step,
    Text,
    asking,
    cancel_button,
    cleaned,
    invalid_text,
    past_day,
    turn_page,
)
from handlers.kit.ui import button, keyboard
from rules.validation import Invalid

StepHandler = Callable[[Update, BranchContext], Coroutine[Any, Any, object]]
_FLOWS: dict[str, Flow[Any]] = {}  # the registered flows, by name: a person is in one at a time


class PrivateConversation(ConversationHandler[Any]):
    """A conversation keyed by (chat, user), where a press under a group's message counts as
    made in the presser's private chat: it is answered there (kit/chat.reply_chat) and takes its
    turn in that chat's lane (bot/instances.update_chat_id), so a flow it starts waits there."""

    def _get_key(self, update: Update) -> ConversationKey:
        key = super()._get_key(update)
        chat, user = update.effective_chat, update.effective_user
        if (self.per_chat and update.callback_query is not None and chat is not None
                and user is not None and chat.type != ChatType.PRIVATE):
            return (user.id, *key[1:])  # a private chat's id is its user's
        return key


@dataclass(frozen=True)
class Flow(Generic[F]):
    """A conversation: an entry, a guard run at every step, and the steps in order."""

    name: str
    prefix: str
    form: type[F]
    entry: Entry[Any, F] | Sequence[Entry[Any, F]]  # several: a command and a button
    steps: Sequence[AnyStep]
    guard: Callable[[Act, F], Awaitable[object]] | None = None
    back: bool = True  # a "‹ Back" button to the previous step
    cancel: bool = True  # a Cancel button under each question (off where a step's own say how)
    exits: Sequence[Action[Any]] = ()  # presses and commands that leave the flow, then run
    # A flow without a Confirm or Finish step ends when no step is left: `finish` says what then.
    finish: Callable[[Act, F], Awaitable[Reply | None]] | None = None

    @property
    def _slot(self) -> str:
        return f"flow:{self.name}"

    def _load(self, context: BranchContext) -> tuple[F, str]:
        """The form and the current step's key (refused if the flow is gone or outdated)."""
        data = context.user_data.get(self._slot) if context.user_data is not None else None
        if not isinstance(data, dict) or not isinstance(data.get("form"), dict):
            raise Refused(STALE_BUTTON)
        try:
            return self.form.model_validate(data["form"]), str(data.get("step"))
        except ValidationError:  # written by an older version: start again
            raise Refused(STALE_BUTTON) from None

    def _save(self, context: BranchContext, form: F, step: str) -> None:
        assert context.user_data is not None
        resume = (context.user_data.get(self._slot) or {}).get("resume")
        context.user_data[self._slot] = {"form": form.model_dump(mode="json"), "step": step,
                                         "resume": resume if resume != step else None}

    def _resume(self, context: BranchContext, form: F, answered: str) -> AnyStep:
        """The step after `answered`: the final one if a final check sent the person back."""
        resume = ((context.user_data or {}).get(self._slot) or {}).get("resume")
        return self._step(resume) if isinstance(resume, str) else self._after(answered, form)

    def _drop(self, context: BranchContext) -> None:
        if context.user_data is not None:
            context.user_data.pop(self._slot, None)

    def _step(self, key: str) -> AnyStep:
        return {step.key: step for step in self.steps}[key]

    def _after(self, key: str | None, form: F) -> AnyStep:
        keys = [step.key for step in self.steps]
        start = 0 if key is None else keys.index(key) + 1
        if (found := next((s for s in self.steps[start:] if s.applies(form)), None)) is not None:
            return found
        if self.finish is not None:  # no step left: the flow's own finish ends it
            return Finish(key="finish", finish=self.finish)
        raise Refused(STALE_BUTTON)  # declared flows end in a Confirm or Finish step

    def _before(self, key: str, form: F) -> AnyStep | None:
        keys = [step.key for step in self.steps]
        return next((s for s in reversed(self.steps[: keys.index(key)]) if s.applies(form)), None)

    def _button(self, label: str, step: str, *value: str) -> InlineKeyboardButton:
        """A step's button: `<prefix>:<step>[:<value>]` (64 bytes at most)."""
        return button(label, self.prefix, step, *value)

    async def _ask(self, act: Act, form: F, step: AnyStep, *, new: bool,
                   above: Html | None = None) -> tuple[Reply | None, object]:
        """Save the form at this step and put its question (with the back and cancel rows)."""
        if isinstance(step, Finish):  # nothing to ask: done as soon as it is reached
            return await self._finish(act, form, step, new=new, above=above)
        t = act.t
        rows: list[list[InlineKeyboardButton]] = []
        if isinstance(step, Choose):
            text = await step.ask(act, form)
            rows = [[self._button(o.label, step.key, o.value)]
                    for o in await step.options(act, form)]
        elif isinstance(step, Text | Day):
            text = await step.ask(act, form)
            rows = await step.buttons(act, form) if step.buttons else []
        elif isinstance(step, Custom):
            text, drawn = await step.render(act, form)
            if isinstance(drawn, ReplyKeyboardMarkup):  # no inline rows beside it; /cancel leaves
                self._save(act.context, form, step.key)
                return Reply(text, drawn, True), step.key
            rows = drawn
        else:
            text = await step.summary(act, form)
            rows = [[self._button(t(step.label), step.key)]]
        last = [cancel_button(t)] if self.cancel else []
        if self.back and self._before(step.key, form) is not None:
            last.insert(0, self._button(t("‹ Back"), "back"))
        if step.bare:
            last = []
        self._save(act.context, form, step.key)
        if above is not None:
            text = html_join("\n", [above, text])
        if step.keyboard is not None and not isinstance(step, Day):
            return Reply(text, step.keyboard(act, form), True), step.key
        rows = [row for row in (*rows, last) if row]
        if isinstance(step, Day):
            date_step = self._date_step(step)
            act.context.user_data[DATE_PENDING] = {"step": date_step.key}  # type: ignore[index]
            return Reply(text, date_step.markup(t, act.context, rows), new), step.key
        return Reply(text, keyboard(rows) if rows else None, new), step.key

    def _date_step(self, step: Day[Any]) -> DateStep:
        async def done(update: Update, context: BranchContext, value: Any) -> object:
            async def accept(act: Act, form: F) -> tuple[Reply | None, object]:
                problem = await step.verify(act, form, value) if step.verify else None
                if problem is not None:
                    act.say(problem)
                    return None, step.key
                outcome = await step.accept(act, form, value) if step.accept else value
                return await self._answered(act, form, step, outcome, new=True)

            return await self._handler(step, accept)(update, context)

        return DateStep(key=f"{self.name}.{step.key}", state=step.key,
                        moment=step.moment, prefer=step.prefer, done=done,
                        check=step.check, quick=step.quick)

    async def _run(self, update: Update, context: BranchContext,
                   body: Callable[[Act], Awaitable[tuple[Reply | None, object]]]) -> object:
        """One session for the step; the reply (and what the step queued) after it closes."""
        async with context.db.session() as session:
            actor = await current_actor(session, update, context)
            act = Act(update, context, session, actor, translator(actor.language), self.name)
            try:
                shown, state = await body(act)
            except GoBack as back:  # nothing was written: say why, ask that step again
                await session.rollback()
                await alert(update, act.t(back.message, **back.values))
                form, current = self._load(context)
                context.user_data[self._slot]["resume"] = (  # type: ignore[index]
                    current if back.resume else None)
                shown, state = await self._ask(act, form, self._step(back.step), new=True)
        await act.settle(shown, _show)
        return state

    @property
    def entries(self) -> tuple[Entry[Any, F], ...]:
        return (self.entry,) if isinstance(self.entry, Entry) else tuple(self.entry)

    async def _start(self, entry: Entry[Any, F], update: Update, context: BranchContext) -> object:
        data = trigger_data(entry.trigger, update, context)

        async def body(act: Act) -> tuple[Reply | None, object]:
            if not entry.audience.admits(act.actor):
                refuse(update, self.name)
            if entry.start is not None:
                form = await entry.start(act, data)
            else:  # the press's fields are the form
                form = self.form.model_validate(dataclasses.asdict(data))
                if self.guard is not None:
                    await self.guard(act, form)
            if isinstance(form, Done | Reply):  # nothing to ask: the entry answered
                new = form.new if isinstance(form, Reply) else not entry.edit
                return (Reply(form.text, form.markup, new) if form.text is not None
                        else None), END
            for other in _FLOWS.values():  # one conversation at a time: leave any other
                if other is not self:
                    other._leave(update, context)
            intro = await entry.intro(act, form) if entry.intro else None
            return await self._ask(act, form, self._after(None, form), new=not entry.edit,
                                   above=intro)

        return await self._run(update, context, body)

    async def _current(self, act: Act, key: str) -> F:
        """The form, if `key` is the current step; the guard checked again."""
        form, current = self._load(act.context)
        if current != key:
            raise Refused(STALE_BUTTON)
        if self.guard is not None:
            await self.guard(act, form)
        return form

    def _handler(self, step: AnyStep,
                 answer: Callable[[Act, F], Awaitable[tuple[Reply | None, object]]]
                 ) -> StepHandler:
        """What handles the step's updates: `answer` gets the form (the guard checked again)."""

        async def handle(update: Update, context: BranchContext) -> object:
            async def body(act: Act) -> tuple[Reply | None, object]:
                return await answer(act, await self._current(act, step.key))

            return await self._run(update, context, body)

        return handle

    def _on_press(self, step: AnyStep) -> StepHandler:
        async def pressed(act: Act, form: F) -> tuple[Reply | None, object]:
            query = act.update.callback_query
            assert query is not None
            word, _, value = (query.data or "").removeprefix(self.prefix + ":").partition(":")
            if word == "back" and not value:
                previous = self._before(step.key, form)
                if previous is None:
                    raise Refused(STALE_BUTTON)
                return await self._ask(act, form, previous, new=False)
            if isinstance(step, Choose) and word == step.key:
                if value not in {o.value for o in await step.options(act, form)}:
                    raise Refused(STALE_BUTTON)
                return await self._answered(act, form, step, value, new=False)
            if isinstance(step, Custom | Text | Day):
                family, handle = next(((f, h) for f, h in step.presses
                                       if re.match(f.pattern(), str(query.data))), (None, None))
                if family is None or handle is None:
                    raise BadCallback(query.data)
                outcome = await handle(act, form, family.unpack(query.data))
                return await self._answered(act, form, step, outcome, new=False)
            if isinstance(step, Confirm) and word == step.key and not value:
                return await self._finish(act, form, step)
            raise BadCallback(query.data)

        return self._handler(step, pressed)

    def _on_text(self, step: Text[Any]) -> StepHandler:
        async def typed(act: Act, form: F) -> tuple[Reply | None, object]:
            assert act.update.message is not None
            value = await step.read(act, form, act.update.message.text or "")
            return await self._answered(act, form, step, value, new=True, echo=step.echo)

        return self._handler(step, typed)

    def _on_message(self, step: Custom[Any],
                    handle: Callable[[Act, Any, Message], Awaitable[Any]]) -> StepHandler:
        async def received(act: Act, form: F) -> tuple[Reply | None, object]:
            message = act.update.effective_message
            assert message is not None
            outcome = await handle(act, form, message)
            return await self._answered(act, form, step, outcome, new=True)

        return self._handler(step, received)

    async def _finish(self, act: Act, form: F, step: Confirm[Any] | Finish[Any], *,
                      new: bool = False, above: Html | None = None
                      ) -> tuple[Reply | None, object]:
        done = await step.finish(act, form)
        self._drop(act.context)
        text, markup = (done.text, done.markup) if isinstance(done, Reply) else (done, None)
        if text is None:
            return None, END
        text = text if above is None else html_join("\n", [above, text])
        files = done.files if isinstance(done, Reply) else ()
        return Reply(text, markup, new or (isinstance(done, Reply) and done.new),
                     files=files), END

    async def _answered(self, act: Act, form: F, step: AnyStep, outcome: Any, *, new: bool,
                        echo: Callable[[Act, F], Html] | None = None
                        ) -> tuple[Reply | None, object]:
        """What a step's answer leads to (see Next): said and stay, the end, or a step."""
        if isinstance(outcome, Invalid | Problem):
            act.say(invalid_text(act.t, outcome) if isinstance(outcome, Invalid)
                    else act.t(outcome.message, **outcome.values))
            return None, step.key
        if isinstance(outcome, Reply | Done):
            self._drop(act.context)
            new = outcome.new if isinstance(outcome, Reply) else new
            files = outcome.files if isinstance(outcome, Reply) else ()
            return (Reply(outcome.text, outcome.markup, new, files=files)
                    if outcome.text is not None else None), END
        values = outcome.values if isinstance(outcome, Next) else {step.key: outcome}
        form = self._with(form, values)
        target = (self._step(outcome.to) if isinstance(outcome, Next) and outcome.to
                  else step if isinstance(outcome, Next) and outcome.stay
                  else self._resume(act.context, form, step.key))
        return await self._ask(act, form, target,
                               new=new or (isinstance(outcome, Next) and outcome.new),
                               above=echo(act, form) if echo else None)

    def _leave(self, update: Update, context: BranchContext) -> None:
        """End this flow for the person (another one starts); its form is dropped."""
        found: ConversationHandler[Any] | None = getattr(self, "_conversation", None)
        if found is not None and (key := found._get_key(update)) in found._conversations:
            found._update_state(END, key)
        self._drop(context)

    def _with(self, form: F, values: dict[str, Any]) -> F:
        try:
            return self.form.model_validate({**form.model_dump(), **values})
        except ValidationError:  # a value the step offered no longer fits: forged or stale
            raise BadCallback(repr(values)) from None

    def handler(self, shared: Shared) -> ConversationHandler[Any]:
        """The conversation: its entry, one state per step, cancel and the shared fallbacks."""

        async def cancel(update: Update, context: BranchContext) -> object:
            self._drop(context)
            if shared.on_cancel is not None:
                await shared.on_cancel(update, context)
            return END

        back = rf"^{re.escape(self.prefix)}:back$"
        states: dict[object, list[BaseHandler[Any, Any, Any]]] = {}
        for step in self.steps:
            if isinstance(step, Finish):
                continue  # never waited on
            handlers: list[BaseHandler[Any, Any, Any]] = []
            if isinstance(step, Custom | Text | Day):
                handlers += [CallbackQueryHandler(self._on_press(step), pattern=family.pattern())
                             for family, _handle in step.presses]
            if isinstance(step, Text):
                handlers.append(MessageHandler(shared.text_input, self._on_text(step)))
            elif isinstance(step, Custom):
                typed = [(shared.text_input, _typed(step.read))] if step.read else []
                handlers += [MessageHandler(accepts, self._on_message(step, handle))
                             for accepts, handle in (*step.messages, *typed)]
            elif isinstance(step, Day):
                handlers += self._date_step(step).handlers(shared.text_input)
            else:
                handlers += [CallbackQueryHandler(
                    self._on_press(step), pattern=rf"^{re.escape(self.prefix)}:{step.key}(:|$)")]
            if self.back:
                handlers.append(CallbackQueryHandler(self._on_press(step), pattern=back))
            states[step.key] = handlers
        entry_points: list[BaseHandler[Any, Any, Any]] = [
            handler for entry in self.entries
            for handler in trigger_handlers(entry.trigger, partial(self._start, entry))]
        conversation: ConversationHandler[Any] = PrivateConversation(
            entry_points=entry_points, states=states,
            fallbacks=[CommandHandler("cancel", cancel),
                       CallbackQueryHandler(cancel, pattern=rf"^{CANCEL_DATA}$"), *shared.fallbacks,
                       *[handler for action in self.exits for handler in self._exit(action)]],
            name=self.name, persistent=True, allow_reentry=True,
        )
        object.__setattr__(self, "_conversation", conversation)  # for dispatch() and _leave()
        _FLOWS[self.name] = self
        return conversation

    def _exit(self, action: Action[Any]) -> list[BaseHandler[Any, Any, Any]]:
        async def leave(update: Update, context: BranchContext) -> object:
            await action.perform(update, context)
            self._drop(context)
            return END

        return trigger_handlers(action.trigger, leave)

    async def dispatch(self, update: Update, context: BranchContext) -> None:
        """Start this flow from outside its conversation (the menu keyboard pressed during
        another flow): its own conversation handles the update, so it records the step."""
        conversation: ConversationHandler[Any] | None = getattr(self, "_conversation", None)
        if conversation is None:
            return
        found = conversation.check_update(update)
        if found is not None and found is not False:
            await conversation.handle_update(update, context.application, found, context)


def _typed(read: Callable[[Act, Any, str], Awaitable[Any]]
           ) -> Callable[[Act, Any, Message], Awaitable[Any]]:
    """A Custom step's `read` as the handler of a typed message."""

    async def handle(act: Act, form: Any, message: Message) -> Any:
        return await read(act, form, message.text or "")

    return handle


async def _show(update: Update, reply: Reply) -> None:
    await show(update, reply.text, new=reply.new, reply_markup=reply.markup)
    await send_files(update, reply.files)


async def alert(update: Update, text: Html) -> None:
    """Tell the presser in an alert (once per press), else in the chat."""
    query = update.callback_query
    if query is not None and first_answer(update):
        await query.answer(plain_text(text)[:200], show_alert=True)
        return
    await send(update, text)

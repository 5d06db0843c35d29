"""The notice views as pure functions: what the author and recipients read and press."""

from __future__ import annotations

from handlers.kit.buttons import NoticeId, OrgId
from handlers.kit.i18n import translator
from handlers.notices import views
from rules import notices as rules
from rules.vocabulary import MemberRole, MemberStatus, NoticeState
from storage.models import Notice

t = translator("en")


def data(rows: list[list[object]]) -> list[str]:
    return [b.callback_data for row in rows for b in row]  # type: ignore[attr-defined]


def test_buttons_keep_their_data_on_the_wire() -> None:
    assert views.PickParty(OrgId(5)).pack() == "nt:o:5"
    assert views.ToggleRole(MemberRole.COMMITTEE_MEMBER).pack() == "nt:r:committee_member"
    assert views.ToggleStatus(MemberStatus.FULL).pack() == f"nt:s:{MemberStatus.FULL.value}"
    assert views.SendNow(NoticeId(7)).pack() == "nt:go:7"
    assert views.ToggleRead().pack() == "nt:rq" and views.Everyone().pack() == "nt:all"
    read = views.read_markup(t, 7)["inline_keyboard"][0][0]
    assert read == {"text": t("📖 Mark as read (已阅)"), "callback_data": "nt:rd:7"}


def test_the_composing_message_answers_what_was_sent_last() -> None:
    form = views.NoticeForm(scope=None)
    assert "New notice" in views.compose_text(t, form)
    form = form.model_copy(update={"text": "<b>Hi</b> all", "said": "text"})
    assert views.compose_text(t, form) == t(
        "✍️ Text received ({n} characters). Send more, or press Next.", n=6)
    form = form.model_copy(update={"files": [{"type": "photo", "file_id": "f"}], "said": "file"})
    assert views.compose_text(t, form) == t("📎 Attached: {name}. Send more, or press Next.",
                                            name=t("photo"))
    form = form.model_copy(update={"said": "too_long"})
    assert views.compose_text(t, form) == t(views.TOO_LONG, limit=rules.MAX_NOTICE_TEXT)


def test_secretaries_get_no_party_picker_and_ticks_show() -> None:
    form = views.NoticeForm(scope=OrgId(3), roles=[MemberRole.SECRETARY])
    secretary = data(views.audience_buttons(t, form, admin=False))
    assert "nt:op:0" not in secretary and "nt:sp:0" in secretary and secretary[-1] == "nt:pv"
    labels = [b.text for row in views.audience_buttons(t, form, admin=True) for b in row]
    assert "☑️ " + t("Secretary") in labels and "▫️ " + t("Member") in labels


def test_a_preview_reaching_nobody_offers_no_send() -> None:
    assert data(views.preview_buttons(t, NoticeId(4), 0)) == ["nt:a"]
    assert data(views.preview_buttons(t, NoticeId(4), 2)) == ["nt:go:4", "nt:sch:4", "nt:a"]


def test_progress_of_a_withdrawn_notice_offers_only_the_readers() -> None:
    notice = Notice(id=9, text_html="<b>Title</b>\nmore", state=NoticeState.WITHDRAWN,
                    requires_read=True, reminded_at=None)
    markup = views.progress_markup(t, notice)
    assert [b.callback_data for row in markup.inline_keyboard for b in row] == ["nt:ur:9"]
    assert views.short("<b>" + "x" * 40 + "</b>") == "x" * 29 + "…"

"""The ledger's views as pure functions."""

from __future__ import annotations

from handlers.kit.buttons import OrgId
from handlers.kit.i18n import Html, translator
from handlers.kit.ui import MAX_MESSAGE, fit, percent
from handlers.ledger import views as ledger_views

t = translator("en")


def data(markup: object) -> list[str]:
    return [b.callback_data for row in markup.inline_keyboard for b in row]  # type: ignore[attr-defined]


def test_ledger_texts_fit_a_message_and_mark_the_period_shown() -> None:
    long = fit([Html("x" * 1000)] * 10)
    assert len(long) < MAX_MESSAGE and long.endswith("…")
    assert percent(None) == "–" and percent(0.776) == "78%"
    markup = ledger_views.compliance_keyboard(t, OrgId(7), "y", 0, 2, several=True)
    labels = [b.text for row in markup.inline_keyboard for b in row]
    assert "• This year" in labels and "This month" in labels
    assert data(markup)[-3:] == ["lg:cpg:7:y:0", "lg:cpg:7:y:1", "lg:cpick:0"]

"""Charts a Chinese reader gets are drawn in Chinese: the texts of the figure actually saved
(a spy on matplotlib's Figure.savefig, the library, not our code) are the Chinese title, axis
label, legend and the branch's Chinese name, each drawn with the Chinese font found."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from handlers.kit import charts as chart
from handlers.kit.i18n import translator
from handlers.ledger import CHART_OVERALL, CHART_TITLE, CHART_YLABEL
from storage import orgs, people
from tests.chat.test_ledger import PNG_SIGNATURE, SEC_A, build_world
from tests.harness import ADMIN_ID, Bot

zh = translator("zh")
HAN = re.compile("[\u4e00-\u9fff]")
Drawn = list[list[tuple[str, str]]]  # per figure saved: (text, name of the font drawing it)


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> Drawn:
    """Every figure saved while the test runs, as its texts and their fonts."""
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    figures: Drawn = []
    save: Callable[..., Any] = Figure.savefig

    def spy(self: Figure, *args: Any, **kwargs: Any) -> Any:
        figures.append([(text.get_text(), text.get_fontname())
                        for text in self.findobj(Text) if text.get_text().strip()])
        return save(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", spy)
    return figures


def drawn_in_chinese(texts: list[tuple[str, str]], font: str) -> None:
    """Every text with Chinese in it is drawn with the Chinese font (else: empty boxes)."""
    for text, name in texts:
        if HAN.search(text):
            assert name == font, (text, name, font)


async def test_a_chinese_secretarys_ledger_chart_has_chinese_labels_and_branch_name(
    bot: Bot, drawn: Drawn
) -> None:
    font = chart.cjk_font()
    assert font is not None, "no Chinese font: run scripts/test, which installs fonts-noto-cjk"
    world = await build_world(bot)
    assert bot.app is not None
    async with bot.app.database.session() as s:
        org = await orgs.get_party_org(s, world.branch_a)
        assert org is not None
        org.name = "甲支部"
        await people.set_language(s, SEC_A, "zh")
    secretary = bot.person(SEC_A, "Sam", language_code="zh-hans")
    await secretary.say("/ledger")
    replies = await secretary.forge(f"lg:xlsx:{world.branch_a}:lq")
    (photo,) = [r for r in replies if r.kind == "photo"]
    assert bot.emulator.file_bytes(photo.file_id).startswith(PNG_SIGNATURE)
    assert "出勤率" in photo.text, photo.text  # the caption is Chinese too

    (texts,) = drawn
    shown = [text for text, _ in texts]
    titles = [text for text in shown if text.startswith(zh.as_plain(CHART_TITLE) + " · ")]
    assert len(titles) == 1 and "甲支部" in titles[0], shown
    assert zh.as_plain(CHART_YLABEL) in shown, shown
    assert any(text.startswith(zh.as_plain(CHART_OVERALL)) for text in shown), shown
    assert all(HAN.search(label) for label in (zh.as_plain(CHART_TITLE),
                                                zh.as_plain(CHART_YLABEL),
                                                zh.as_plain(CHART_OVERALL)))
    drawn_in_chinese(texts, font)
    has_every_glyph(font, "".join(shown))


def has_every_glyph(font: str, text: str) -> None:
    """The shipped font (scripts/lib.sh installs it) draws every character: no empty boxes."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    path = font_manager.findfont(font_manager.FontProperties(family=font),
                                 fallback_to_default=False)
    face = FT2Font(path)
    missing = {c for c in text if not c.isascii() and not face.get_char_index(ord(c))}
    assert not missing, (path, missing)


async def test_a_chinese_admins_overview_chart_has_chinese_labels(
    bot: Bot, drawn: Drawn
) -> None:
    font = chart.cjk_font()
    assert font is not None
    await build_world(bot)
    assert bot.app is not None
    async with bot.app.database.session() as s:
        await people.set_language(s, ADMIN_ID, "zh")
    admin = bot.person(ADMIN_ID, "管理员", language_code="zh-hans")
    replies = await admin.say("/overview")
    assert [r for r in replies if r.kind == "photo"], [r.kind for r in replies]

    (texts,) = drawn
    shown = [text for text, _ in texts]
    assert any(text.startswith(zh.as_plain("Overview") + " · ") for text in shown), shown
    for bar in ("Coverage", "Meetings on schedule", "Secretaries on track", "Terms not due"):
        assert zh.as_plain(bar) in shown and HAN.search(zh.as_plain(bar)), (bar, shown)
    drawn_in_chinese(texts, font)

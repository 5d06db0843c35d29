"""The charts the chat sends: attendance per month (/ledger) and shares per branch (/overview).

matplotlib with the Agg canvas and no pyplot, so drawing is safe in a worker thread; the
handlers draw in one and pass in every text already translated (in English when no Chinese
font is installed: `cjk_font`). matplotlib is imported when a chart is drawn.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from handlers.kit.i18n import Translator, translator

logger = logging.getLogger(__name__)

CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
             "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei")
# Where Debian's fonts-noto-cjk (installed by scripts/lib.sh) and fonts-wqy-* put their files.
CJK_FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)


@cache
def cjk_font() -> str | None:
    """The name of an installed font with Chinese glyphs, or None (then label in English)."""
    try:
        from matplotlib import font_manager

        installed = {entry.name for entry in font_manager.fontManager.ttflist}
    except Exception:  # a broken font cache must not break the export
        logger.exception("could not list fonts")
        return None
    found = _known_cjk_font(installed)
    if found is None:
        # matplotlib's font cache predates a font installed later: add the files themselves.
        for path in CJK_FONT_FILES:
            if Path(path).is_file():
                try:
                    font_manager.fontManager.addfont(path)
                except Exception:
                    logger.exception("could not load a font file")
        found = _known_cjk_font({entry.name for entry in font_manager.fontManager.ttflist})
    return found


def _known_cjk_font(installed: set[str]) -> str | None:
    found = [name for name in CJK_FONTS if name in installed]
    found += [name for name in sorted(installed) if "WenQuanYi" in name or "CJK SC" in name]
    return found[0] if found else None


def _canvas(height: float, font: str | None) -> tuple[Any, Any, Any]:
    """A figure (Agg, no pyplot) with one axes, and the font its texts use."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    figure = Figure(figsize=(8, height), dpi=100)
    FigureCanvasAgg(figure)
    prop = FontProperties(family=[font, "DejaVu Sans"] if font else ["DejaVu Sans"])
    return figure, figure.add_subplot(1, 1, 1), prop


def _png(figure: Any, axes: Any, prop: Any, title: str) -> bytes:
    axes.set_title(title, fontproperties=prop)
    axes.spines["top"].set_visible(False)
    axes.spines["right"].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def chart_png(points: Sequence[tuple[str, float | None, int]], *, title: str, ylabel: str,
              overall: float | None, overall_label: str, font: str | None) -> bytes:
    """A bar chart of the attendance rate per month as PNG bytes (months without meetings
    are marked with a dash). Pass only ASCII text when `font` is None."""
    figure, axes, prop = _canvas(4.5, font)
    labels = [label for label, _, _ in points]
    values = [(rate or 0.0) * 100 for _, rate, _ in points]
    positions = list(range(len(points)))
    bars = axes.bar(positions, values, color="#c0392b", width=0.6)
    for bar, (_, rate, _held) in zip(bars, points, strict=True):
        text = "–" if rate is None else f"{rate * 100:.0f}%"
        axes.text(bar.get_x() + bar.get_width() / 2, bar.get_height() + 1.5, text,
                  ha="center", va="bottom", fontsize=10, fontproperties=prop)
    if overall is not None:
        axes.axhline(overall * 100, color="#555555", linestyle="--", linewidth=1,
                     label=overall_label)
        axes.legend(loc="upper left", prop=prop, frameon=False)
    axes.set_xticks(positions, labels, fontproperties=prop)
    if len(points) > 6:
        for tick in axes.get_xticklabels():
            tick.set_rotation(45)
            tick.set_horizontalalignment("right")
    axes.set_ylim(0, 120)
    axes.set_yticks([0, 20, 40, 60, 80, 100])
    axes.set_ylabel(ylabel, fontproperties=prop)
    return _png(figure, axes, prop, title)


def overview_chart_png(bars: Sequence[tuple[str, float | None, str]], *, title: str,
                       font: str | None) -> bytes:
    """Horizontal bars of shares (label, share or None, caption like "12 / 20") as PNG bytes.
    Pass only ASCII text when `font` is None."""
    figure, axes, prop = _canvas(0.9 * len(bars) + 1.4, font)
    positions = list(range(len(bars)))[::-1]
    values = [(share or 0.0) * 100 for _, share, _ in bars]
    colors = ["#c0392b" if (share or 0) < 0.6 else "#d68910" if (share or 0) < 0.9 else "#1e8449"
              for _, share, _ in bars]
    axes.barh(positions, values, color=colors, height=0.55)
    for y, (_, share, caption) in zip(positions, bars, strict=True):
        text = "–" if share is None else f"{share * 100:.0f}%  ({caption})"
        axes.text(min((share or 0) * 100, 100) + 1.5, y, text, va="center", fontsize=10,
                  fontproperties=prop)
    axes.set_yticks(positions, [label for label, _, _ in bars], fontproperties=prop)
    axes.set_xlim(0, 135)
    axes.set_xticks([0, 20, 40, 60, 80, 100])
    return _png(figure, axes, prop, title)


__all__ = ["CJK_FONTS", "chart_png", "cjk_font", "overview_chart_png"]


def chart_label(t: Translator, font: object, message: str) -> str:
    """A chart's label: in English when no Chinese font can draw it."""
    t = t if font is not None else translator("en")
    return t.as_plain(message)

"""The introduction letter (介绍信) as a .docx to print, stamp and hand over: number, member,
from, to, the month dues are paid to and the last valid day (DOMAIN.md "Membership moves").
A .docx rather than a PDF: branches print on their own letterhead and may adjust it."""

from __future__ import annotations

from datetime import tzinfo
from io import BytesIO

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from handlers.kit.actions import Document as SentFile
from handlers.kit.i18n import N_, Translator
from handlers.labels import MEMBER_STATUS_LABELS
from handlers.transfers.views import destination, issued_on, month_text, origin
from storage.transfers import Letter

PARTY_MEMBER = N_("Party member")  # no status recorded
FONT = "SimSun"  # 宋体: what Chinese offices print letters in; Word substitutes where missing


def letter_docx(t: Translator, letter: Letter, tz: tzinfo) -> bytes:
    document = Document()
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(14)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)

    def line(text: str, *, align: WD_ALIGN_PARAGRAPH | None = None, bold: bool = False) -> None:
        paragraph = document.add_paragraph()
        if align is not None:
            paragraph.alignment = align
        paragraph.add_run(text).bold = bold

    line(t.as_plain("Introduction letter for a Party member's organizational relationship"),
         align=WD_ALIGN_PARAGRAPH.CENTER, bold=True)
    line(t.as_plain("No. {number}", number=letter.number or ""), align=WD_ALIGN_PARAGRAPH.RIGHT)
    line(t.as_plain("To {org}:", org=destination(t, letter)))
    status = MEMBER_STATUS_LABELS.get(letter.status) if letter.status else None
    line(t.as_plain("Comrade {name} ({status}) transfers their Party organizational relationship "
               "from {origin} to your organization. Please receive them.", name=letter.name,
               status=t.as_plain(status or PARTY_MEMBER), origin=origin(t, letter)))
    line(t.as_plain("Party dues are paid up to {month}.", month=month_text(letter.dues_paid_to))
         if letter.dues_paid_to else t.as_plain("No Party dues are recorded as paid."))
    line(t.as_plain("This letter is valid until {date}.", date=letter.valid_until.isoformat()))
    line(t.as_plain("{org} (seal)", org=origin(t, letter)), align=WD_ALIGN_PARAGRAPH.RIGHT)
    line(issued_on(letter, tz).isoformat(), align=WD_ALIGN_PARAGRAPH.RIGHT)
    out = BytesIO()
    document.save(out)
    return out.getvalue()


def letter_file(t: Translator, letter: Letter, tz: tzinfo) -> SentFile:
    return SentFile(f"letter-{letter.number or letter.id}.docx", letter_docx(t, letter, tz))

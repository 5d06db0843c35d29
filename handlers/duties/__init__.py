"""Reporting deadlines and term renewals (issue 6; DOMAIN.md "Renewals and reporting duties"):
/duties lists a branch's upcoming deadlines, to mark one done with the document handed in or
without, and sets the branch's dues collection day; admins get the duty calendar, edit a
duty or switch it off; leaders add custom deadlines; /renewal records a 换届.
"""

from __future__ import annotations

from handlers.duties import adding, dues_day, editing, marking, renewal
from handlers.duties.browse import ACTIONS

FLOWS = (marking.MARK_DONE, dues_day.DUES_DAY, editing.EDIT_DUTY, adding.ADD_DUTY,
         renewal.RENEWAL)

__all__ = ["ACTIONS", "FLOWS"]

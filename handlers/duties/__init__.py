"""Reporting deadlines and term renewals (issue 6; DOMAIN.md "Renewals and reporting duties"):
/duties lists a branch's upcoming deadlines, to mark one done with the document handed in or
without, and sets the branch's dues collection day; admins get the duty calendar, edit a
duty or switch it off; leaders add custom deadlines; /renewal records a 换届.
"""

from __future__ import annotations

from handlers.duties.adding import ADD_DUTY
from handlers.duties.browse import ACTIONS
from handlers.duties.dues_day import DUES_DAY
from handlers.duties.editing import EDIT_DUTY
from handlers.duties.marking import MARK_DONE
from handlers.duties.renewal import RENEWAL

FLOWS = (MARK_DONE, DUES_DAY, EDIT_DUTY, ADD_DUTY, RENEWAL)

__all__ = ["ACTIONS", "FLOWS"]

"""The sign-in link message of /dashboard (pure)."""

from __future__ import annotations

from handlers.kit.actions import Reply
from handlers.kit.i18n import Translator


def sign_in_link(t: Translator, url: str, minutes: int) -> Reply:
    """The link, shown without a preview (which would fetch it, and use it up)."""
    return Reply(t("🖥 Your sign-in link to the dashboard:\n{url}\n\nIt works once, for {minutes} "
                   "minutes, and only for you: do not forward it.", url=url, minutes=minutes),
                 new=True)

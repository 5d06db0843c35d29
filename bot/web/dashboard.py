"""The web dashboard for admins and secretaries (issue 7)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from bot.application import BranchApplication


def setup_dashboard(web_app: web.Application, application: BranchApplication) -> None:
    """Add the dashboard's routes to the bot's web server."""

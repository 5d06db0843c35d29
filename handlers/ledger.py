"""The ledger (台账): compliance, attendance rates, .xlsx export, chart, calendar files."""

from __future__ import annotations

from telegram.ext import Application


def register(app: Application) -> None:
    """Ledger handlers (being written)."""

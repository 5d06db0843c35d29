"""Admins build the organization tree by chat."""

from __future__ import annotations

from telegram.ext import Application


def register(app: Application) -> None:
    """Organization tree handlers (to be written)."""

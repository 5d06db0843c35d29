"""Secretaries manage their branch's members."""

from __future__ import annotations

from telegram.ext import Application


def register(app: Application) -> None:
    """Member management handlers (to be written)."""

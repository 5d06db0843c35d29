"""Check-in at a meeting, closing it with minutes, and catching up (补学)."""

from __future__ import annotations

from telegram.ext import Application


def register(app: Application) -> None:
    """Check-in handlers (being written)."""

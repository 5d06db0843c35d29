"""Scheduling meetings (三会一课), answers and leave, postponing and cancelling."""

from __future__ import annotations

from telegram.ext import Application


def register(app: Application) -> None:
    """Meeting handlers (being written)."""

"""Debian's Chromium for the browser tier: where it is, its flags, and one launch every browser
test shares (scripts/test installs it)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CHROMIUM_PRESENT = Path(CHROMIUM).exists()
SHOTS = Path("/tmp")  # screenshots to look at


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """A headless Chromium, closed afterwards whatever the test did."""
    from playwright.async_api import async_playwright

    assert CHROMIUM_PRESENT, "Debian's chromium is needed (scripts/test installs it)"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            await browser.close()


async def fits_phone(page: Page, shot: str, width: int = 360) -> None:
    """Nothing on the page is wider than the phone; a full-page screenshot to look at."""
    wide = await page.evaluate("document.documentElement.scrollWidth")
    assert wide <= width, wide
    await page.screenshot(path=str(SHOTS / shot), full_page=True)

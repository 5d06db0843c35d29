"""Mini App forms beyond the leave form (bot/web/miniapp.py holds the page, script and
initData checks they share)."""

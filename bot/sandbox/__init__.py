"""Local sandbox: an in-process emulator of the Telegram Bot API and a browser chat page."""

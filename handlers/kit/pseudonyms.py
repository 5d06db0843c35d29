"""Pseudonyms of Telegram ids for log lines: the same person reads the same, the id never shows."""

from __future__ import annotations

import hashlib
import hmac
import os

# Keys the pseudonyms of Telegram ids; configure_logging derives it from the token so that
# every instance of one bot writes the same pseudonym for the same person.
_pseudonym_key = os.urandom(32)


def pseudonym(telegram_id: int | None, *, secret: str | None = None) -> str:
    """A short keyed stand-in for a Telegram user id in log lines (INFO and above).

    The same person gets the same pseudonym across lines (and instances of one bot), but the
    id cannot be read back from it, nor checked by trying ids without the key.
    """
    if telegram_id is None:
        return "-"
    key = _pseudonym_key if secret is None else _key_of(secret)
    mac = hmac.new(key, str(int(telegram_id)).encode(), hashlib.sha256)
    return "u" + mac.hexdigest()[:10]


def _key_of(secret: str) -> bytes:
    return hashlib.sha256(b"branchbot-log-pseudonym\0" + secret.encode()).digest()


def set_pseudonym_key(secret: str) -> None:
    global _pseudonym_key
    _pseudonym_key = _key_of(secret)

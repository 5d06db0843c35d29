"""Who opened a Mini App form: Telegram's signed `initData`, checked with the bot token.

Telegram's rule (core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app):
the data-check-string is every field but `hash` as `key=value`, sorted by key, joined by
newlines; the secret key is HMAC-SHA256 of the bot token keyed with "WebAppData"; `hash` is the
hex HMAC-SHA256 of the data-check-string with that key. `auth_date` says when Telegram signed
it: older than MAX_AGE is refused, so a leaked URL stops working.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

MAX_AGE = timedelta(hours=24)
MAX_INIT_DATA = 4096  # Telegram's initData is well under 1 KB
CLOCK_SKEW = timedelta(minutes=5)  # signed a little "in the future" by a clock ahead of ours


class InitDataError(Exception):
    """initData that does not prove who sent it; `reason` is for the log, not for people."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class WebAppUser:
    """The Telegram user Telegram vouched for."""

    id: int
    language_code: str | None
    first_name: str
    auth_date: datetime


def secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode("utf-8"), hashlib.sha256).digest()


def data_check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def validate_init_data(
    init_data: str, bot_token: str, *, now: datetime, max_age: timedelta = MAX_AGE
) -> WebAppUser:
    """The user of signed, fresh initData, else InitDataError."""
    if not init_data or len(init_data) > MAX_INIT_DATA:
        raise InitDataError("empty or too long")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True,
                          errors="strict")
    except (ValueError, UnicodeDecodeError):
        raise InitDataError("not a query string") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise InitDataError("a field given twice")
    given = fields.get("hash")
    if not given:
        raise InitDataError("no hash")
    expected = hmac.new(secret_key(bot_token), data_check_string(fields).encode("utf-8"),
                        hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, given.lower().encode("ascii", "replace").decode()):
        raise InitDataError("bad signature")
    raw_date = fields.get("auth_date", "")
    if not raw_date.isascii() or not raw_date.isdigit() or len(raw_date) > 12:
        raise InitDataError("no auth_date")
    signed_at = datetime.fromtimestamp(int(raw_date), UTC)
    if now - signed_at > max_age:
        raise InitDataError("too old")
    if signed_at - now > CLOCK_SKEW:
        raise InitDataError("from the future")
    try:
        user = json.loads(fields.get("user", ""))
    except ValueError:
        raise InitDataError("no user") from None
    user_id = user.get("id") if isinstance(user, dict) else None
    if not isinstance(user_id, int) or isinstance(user_id, bool) or not 0 < user_id < 2**53:
        raise InitDataError("no user id")
    language = user.get("language_code")
    name = user.get("first_name")
    return WebAppUser(
        id=user_id, language_code=language if isinstance(language, str) else None,
        first_name=name if isinstance(name, str) else "", auth_date=signed_at,
    )

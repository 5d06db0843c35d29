"""Mini App initData: Telegram's signature checked with the bot token, and its age."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, quote, urlencode

import pytest
from botapi_emulator.webapps import sign_init_data

from bot.web.webapp_auth import InitDataError, validate_init_data

TOKEN = "123456:SANDBOX-TOKEN"
SIGNED_AT = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
USER = json.dumps({"id": 730003, "first_name": "Alice", "language_code": "en"},
                  separators=(",", ":"))


def fields(**changes: str) -> dict[str, str]:
    return {"query_id": "AAE1", "user": USER, "auth_date": str(int(SIGNED_AT.timestamp())),
            **changes}


def by_hand(token: str, values: dict[str, str]) -> str:
    """Telegram's rule written out once more, apart from the emulator's signer."""
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    check = "\n".join(f"{k}={v}" for k, v in sorted(values.items()))
    digest = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode({**values, "hash": digest}, quote_via=quote)


def check(init_data: str, *, now: datetime = SIGNED_AT + timedelta(minutes=3),
          token: str = TOKEN) -> object:
    return validate_init_data(init_data, token, now=now)


def refusal(init_data: str, **options: object) -> str:
    with pytest.raises(InitDataError) as caught:
        check(init_data, **options)  # type: ignore[arg-type]
    return caught.value.reason


def test_signed_initdata_names_its_user() -> None:
    user = validate_init_data(by_hand(TOKEN, fields()), TOKEN, now=SIGNED_AT)
    assert (user.id, user.language_code, user.first_name) == (730003, "en", "Alice")
    assert user.auth_date == SIGNED_AT
    # The emulator signs as Telegram does: its initData is accepted the same.
    assert sign_init_data(TOKEN, fields()) == by_hand(TOKEN, fields())


def test_a_bad_signature_or_another_bots_token_is_refused() -> None:
    good = by_hand(TOKEN, fields())
    digest = dict(parse_qsl(good))["hash"]
    forged = good.replace(digest, ("0" if digest[0] != "0" else "1") + digest[1:])
    assert refusal(forged) == "bad signature"
    assert refusal(good, token="654321:OTHER-TOKEN") == "bad signature"
    assert refusal(good.replace(digest, "ü" * 64)) == "bad signature"


def test_a_tampered_user_is_refused() -> None:
    good = by_hand(TOKEN, fields())
    other = json.dumps({"id": 730004, "first_name": "Alice", "language_code": "en"},
                       separators=(",", ":"))
    tampered = good.replace(quote(USER, safe=""), quote(other, safe=""))
    assert tampered != good
    assert refusal(tampered) == "bad signature"
    # A field added after signing breaks the signature too.
    assert refusal(good + "&can_send_after=1") == "bad signature"


def test_initdata_without_hash_or_user_is_refused() -> None:
    assert refusal(urlencode(fields())) == "no hash"
    assert refusal("") == "empty or too long"
    assert refusal("x" * 5000) == "empty or too long"
    assert refusal(by_hand(TOKEN, {"auth_date": fields()["auth_date"]})) == "no user"
    assert refusal(by_hand(TOKEN, fields(user='{"id":"1"}'))) == "no user id"
    assert refusal(by_hand(TOKEN, fields(auth_date="soon"))) == "no auth_date"


def test_old_initdata_is_refused_after_24_hours() -> None:
    good = by_hand(TOKEN, fields())
    assert check(good, now=SIGNED_AT + timedelta(hours=24))
    assert refusal(good, now=SIGNED_AT + timedelta(hours=24, seconds=1)) == "too old"
    assert refusal(good, now=SIGNED_AT - timedelta(hours=1)) == "from the future"

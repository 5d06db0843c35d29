"""Dashboard sign-in: one-time links sent in the chat, and browser sessions.

Only SHA-256 digests of the link tokens and cookie values are stored, so a copy of the
database signs nobody in. A link works once, for SIGN_IN_TTL; a session lasts SESSION_TTL.
The CSRF token of a session is derived from its cookie value (never stored, never guessable
without the cookie).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeGuard

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import WebSession, WebSignInToken

SIGN_IN_TTL = timedelta(minutes=10)
SESSION_TTL = timedelta(hours=12)
# Expired rows are kept a little for the record, then dropped when new ones are made.
KEEP_EXPIRED = timedelta(days=7)
TOKEN_BYTES = 32


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _plausible(raw: str | None) -> TypeGuard[str]:
    """Our tokens are short URL-safe ASCII; a cookie or path with other bytes is nobody's."""
    return raw is not None and 0 < len(raw) <= 128 and raw.isascii()


def csrf_token(raw_session: str) -> str:
    """The CSRF token of a session: a keyed digest of its cookie value."""
    return hmac.new(raw_session.encode(), b"branchbot-csrf", hashlib.sha256).hexdigest()


def csrf_ok(raw_session: str, given: str | None) -> bool:
    # Bytes: compare_digest refuses str with non-ASCII characters (a forged form's).
    return given is not None and hmac.compare_digest(csrf_token(raw_session).encode(),
                                                     given.encode())


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def login_csrf_token(nonce: str, raw_link: str) -> str:
    """The sign-in form's token: bound to the browser's nonce cookie and to the link."""
    return hmac.new(nonce.encode(), f"branchbot-login:{raw_link}".encode(),
                    hashlib.sha256).hexdigest()


def login_csrf_ok(nonce: str, raw_link: str, given: str) -> bool:
    if not (_plausible(nonce) and _plausible(raw_link)):
        return False
    return hmac.compare_digest(login_csrf_token(nonce, raw_link).encode(), given.encode())


async def create_sign_in(
    session: AsyncSession, telegram_id: int, *, now: datetime, ttl: timedelta = SIGN_IN_TTL
) -> str:
    """A fresh one-time token for this person; returned once, stored only as a digest.

    Their older unused links stop working: only the newest link in the chat signs in.
    """
    await session.execute(
        delete(WebSignInToken).where(WebSignInToken.expires_at < now - KEEP_EXPIRED)
    )
    await session.execute(
        update(WebSignInToken)
        .where(
            WebSignInToken.telegram_id == telegram_id,
            WebSignInToken.used_at.is_(None),
            WebSignInToken.expires_at > now,
        )
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )
    raw = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(
        WebSignInToken(
            token_hash=digest(raw), telegram_id=telegram_id, created_at=now, expires_at=now + ttl
        )
    )
    await session.flush()
    return raw


async def peek_sign_in(session: AsyncSession, raw: str, *, now: datetime) -> int | None:
    """The Telegram id a usable token was made for, without using it up (the confirmation)."""
    if not _plausible(raw):
        return None
    return await session.scalar(
        select(WebSignInToken.telegram_id).where(
            WebSignInToken.token_hash == digest(raw),
            WebSignInToken.used_at.is_(None),
            WebSignInToken.expires_at > now,
        )
    )


async def redeem_sign_in(session: AsyncSession, raw: str, *, now: datetime) -> int | None:
    """The Telegram id the token was made for, if it is unused and unexpired; uses it up.

    One conditional UPDATE: two browsers opening the same link at once sign in only one.
    """
    if not _plausible(raw):
        return None
    hashed = digest(raw)
    result = await session.execute(
        update(WebSignInToken)
        .where(
            WebSignInToken.token_hash == hashed,
            WebSignInToken.used_at.is_(None),
            WebSignInToken.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return await session.scalar(
        select(WebSignInToken.telegram_id).where(WebSignInToken.token_hash == hashed)
    )


@dataclass(frozen=True)
class SignedIn:
    """A live session: whose it is, and until when."""

    telegram_id: int
    expires_at: datetime


async def start_session(
    session: AsyncSession, telegram_id: int, *, now: datetime, ttl: timedelta = SESSION_TTL
) -> str:
    """A new session; returns the cookie value (stored only as a digest)."""
    await session.execute(delete(WebSession).where(WebSession.expires_at < now - KEEP_EXPIRED))
    raw = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(
        WebSession(
            session_hash=digest(raw), telegram_id=telegram_id, created_at=now,
            expires_at=now + ttl,
        )
    )
    await session.flush()
    return raw


async def session_of(session: AsyncSession, raw: str | None, *, now: datetime) -> SignedIn | None:
    """The live session behind a cookie value, or None (unknown, ended or expired)."""
    if not _plausible(raw):
        return None
    row = (
        await session.execute(
            select(WebSession.telegram_id, WebSession.expires_at).where(
                WebSession.session_hash == digest(raw),
                WebSession.ended_at.is_(None),
                WebSession.expires_at > now,
            )
        )
    ).first()
    return SignedIn(int(row[0]), row[1]) if row else None


async def end_session(session: AsyncSession, raw: str, *, now: datetime) -> None:
    await session.execute(
        update(WebSession)
        .where(WebSession.session_hash == digest(raw), WebSession.ended_at.is_(None))
        .values(ended_at=now)
        .execution_options(synchronize_session=False)
    )

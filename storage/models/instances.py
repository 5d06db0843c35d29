"""Several instances on one database (issue 8): updates already taken, so a webhook update that
arrives twice (Telegram retries, a balancer resends) is handled once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow


class ProcessedUpdate(Base):
    """A Telegram update some instance accepted; pruned after a day (Telegram retries less)."""

    __tablename__ = "processed_updates"
    __table_args__ = (Index("ix_processed_updates_chat_id_update_id", "chat_id", "update_id"),)

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # The chat whose order it keeps (None: updates without a chat, e.g. inline queries).
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    handled_at: Mapped[datetime | None]

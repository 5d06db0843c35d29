"""Holiday schedules an admin loads per year (`branchbot calendar import`): they come before the
chinese_calendar package's data (rules/workdays.py)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow


class HolidayCalendarYear(Base):
    """A year whose working days come from a loaded file."""

    __tablename__ = "holiday_calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source_name: Mapped[str] = mapped_column(String(200))
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class HolidayCalendarDay(Base):
    """One listed day of a loaded year: a holiday (rest) or a make-up working day (调休)."""

    __tablename__ = "holiday_calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    year: Mapped[int] = mapped_column(
        ForeignKey("holiday_calendar_years.year", ondelete="CASCADE"), index=True
    )
    working: Mapped[bool] = mapped_column()
    name: Mapped[str] = mapped_column(String(100), default="")

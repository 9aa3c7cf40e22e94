"""Tests for ``scheduler.sun``: civil dusk in Moscow against the values in the shared data
README (``../shared/data/README.md``), and ``dusk_min`` against ``civil_dusk``."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduler.domain import Location
from scheduler.sun import civil_dusk, dusk_min

TIMEZONE = "Europe/Moscow"
MOSCOW = Location(55.7558, 37.6173)
DAYS = [date(2026, 6, 21), date(2026, 7, 15), date(2026, 8, 15), date(2026, 9, 1)]


@pytest.mark.parametrize(
    ("day", "expected"),
    [(date(2026, 6, 21), (22, 20)), (date(2026, 8, 15), (20, 49))],
    ids=["solstice", "mid-august"],
)
def test_civil_dusk_in_moscow(day: date, expected: tuple[int, int]) -> None:
    """Civil dusk matches the data README (22:20 at the solstice, 20:49 in mid-August)."""
    dusk = civil_dusk(day, MOSCOW, TIMEZONE)
    hour, minute = expected
    reference = datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(TIMEZONE))
    assert abs(dusk - reference) <= timedelta(minutes=2)
    assert dusk.utcoffset() == timedelta(hours=3)
    assert dusk.date() == day


def test_dusk_comes_earlier_after_the_solstice() -> None:
    """From late June to September dusk comes earlier every sampled day."""
    minutes = [dusk_min(day, MOSCOW, TIMEZONE) for day in DAYS]
    assert minutes == sorted(minutes, reverse=True)


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_dusk_min_agrees_with_civil_dusk(day: date) -> None:
    """``dusk_min`` is civil dusk in minutes from local midnight, rounded up."""
    dusk = civil_dusk(day, MOSCOW, TIMEZONE)
    midnight = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(TIMEZONE))
    exact = (dusk - midnight) / timedelta(minutes=1)
    assert dusk_min(day, MOSCOW, TIMEZONE) - 1 < exact <= dusk_min(day, MOSCOW, TIMEZONE)


def test_nearby_places_share_one_computation() -> None:
    """Places within the 0.01-degree rounding get the very same dusk."""
    nearby = Location(MOSCOW.lat + 0.001, MOSCOW.lon - 0.001)
    day = date(2026, 7, 1)
    assert civil_dusk(day, nearby, TIMEZONE) == civil_dusk(day, MOSCOW, TIMEZONE)

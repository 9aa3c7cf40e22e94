"""Darkness: when a projector screening may start (civil dusk, computed with astral)."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from astral import Observer
from astral.sun import dusk

from scheduler.domain import Location

__all__ = ["civil_dusk", "dusk_min"]


def civil_dusk(day: date, location: Location, timezone: str) -> datetime | None:
    """Civil dusk (sun 6 degrees below the horizon) on the evening of ``day``; ``None`` when
    the sun never goes that low (white nights far north): a projector cannot screen then.

    The location is rounded to 0.01 degrees (about 1 km: seconds of difference) so that
    nearby venues share one computation.
    """
    return _civil_dusk(day, round(location.lat, 2), round(location.lon, 2), timezone)


@lru_cache(maxsize=65536)
def _civil_dusk(day: date, lat: float, lon: float, timezone: str) -> datetime | None:
    tz = ZoneInfo(timezone)
    try:
        result: datetime = dusk(Observer(latitude=lat, longitude=lon), date=day, tzinfo=tz)
    except ValueError:
        return None
    return result


def dusk_min(day: date, location: Location, timezone: str) -> int | None:
    """Civil dusk as whole minutes from local midnight of ``day``, rounded up (or ``None``)."""
    moment = civil_dusk(day, location, timezone)
    if moment is None:
        return None
    midnight = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(timezone))
    seconds = (moment - midnight).total_seconds()
    return int(-(-seconds // 60))

"""Darkness: when a projector may screen, from civil dusk to the next morning's civil dawn
(computed with astral)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from astral import Observer
from astral.sun import dawn, dusk

from scheduler.domain import Location

__all__ = ["civil_dusk", "dawn_min", "dusk_min", "next_civil_dawn"]


def civil_dusk(day: date, location: Location, timezone: str) -> datetime | None:
    """Civil dusk (sun 6 degrees below the horizon) on the evening of ``day``; ``None`` when
    the sun never goes that low (white nights far north): a projector cannot screen then.

    The location is rounded to 0.01 degrees (about 1 km: seconds of difference) so that
    nearby venues share one computation.
    """
    return _civil_twilight("dusk", day, round(location.lat, 2), round(location.lon, 2), timezone)


@lru_cache(maxsize=131072)
def _civil_twilight(
    event: str, day: date, lat: float, lon: float, timezone: str
) -> datetime | None:
    """Civil ``"dusk"`` or ``"dawn"`` on ``day``; ``None`` when the sun does not get that low."""
    when = dusk if event == "dusk" else dawn
    try:
        result: datetime = when(
            Observer(latitude=lat, longitude=lon), date=day, tzinfo=ZoneInfo(timezone)
        )
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


def next_civil_dawn(day: date, location: Location, timezone: str) -> datetime | None:
    """Civil dawn on the morning after ``day``: a projector screening of the evening of
    ``day`` must end by then. ``None`` when the sun does not get that low (no darkness)."""
    return _civil_twilight(
        "dawn", day + timedelta(days=1), round(location.lat, 2), round(location.lon, 2), timezone
    )


def dawn_min(day: date, location: Location, timezone: str) -> int | None:
    """The next morning's civil dawn as whole minutes from local midnight of ``day`` (past
    1440), rounded down (or ``None``)."""
    moment = next_civil_dawn(day, location, timezone)
    if moment is None:
        return None
    midnight = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(timezone))
    return int((moment - midnight).total_seconds() // 60)

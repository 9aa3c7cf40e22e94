"""Tests for ``scheduler.travel``: great-circle distance, the hour-of-day speed profile, the
worst-case matrix the router plans with, and parameter checks."""

from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from scheduler.domain import Location
from scheduler.travel import MOSCOW_SPEED_FACTORS, OfflineTravelTimes, haversine_km

MOSCOW = ZoneInfo("Europe/Moscow")
CENTRE = Location(55.7558, 37.6173)
DEPOT = Location(55.4303, 37.2725)
"""Kinopark Moskino, Krasnaya Pakhra (the demo depot)."""
SAINT_PETERSBURG = Location(59.9386, 30.3141)
SOKOLNIKI = Location(55.7936, 37.6744)


def at(hour: int) -> datetime:
    """A July 2026 day in Moscow at ``hour``:00."""
    return datetime(2026, 7, 8, hour, 0, tzinfo=MOSCOW)


def test_haversine_centre_to_depot() -> None:
    """Moscow centre to the Krasnaya Pakhra depot is about 42 km as the crow flies.

    Cross-checked with the equirectangular approximation, which is exact enough at this
    distance (0.33 degrees north, 0.34 degrees east at latitude 55.6: 36.2 and 21.7 km).
    """
    km = haversine_km(CENTRE, DEPOT)
    mean_lat = math.radians((CENTRE.lat + DEPOT.lat) / 2)
    north = math.radians(CENTRE.lat - DEPOT.lat) * 6371.0088
    east = math.radians(CENTRE.lon - DEPOT.lon) * math.cos(mean_lat) * 6371.0088
    assert km == pytest.approx(math.hypot(north, east), abs=0.05)
    assert 42.0 < km < 42.4


def test_haversine_long_distance_and_symmetry() -> None:
    """Moscow to Saint Petersburg is about 634 km, either way; a point is 0 km from itself."""
    assert haversine_km(CENTRE, SAINT_PETERSBURG) == pytest.approx(634, abs=3)
    assert haversine_km(SAINT_PETERSBURG, CENTRE) == pytest.approx(
        haversine_km(CENTRE, SAINT_PETERSBURG)
    )
    assert haversine_km(CENTRE, CENTRE) == 0


def test_distance_applies_the_detour_factor() -> None:
    """Road kilometres are the great-circle distance times the detour factor."""
    travel = OfflineTravelTimes(detour_factor=1.35)
    assert travel.distance_km(CENTRE, DEPOT) == pytest.approx(1.35 * haversine_km(CENTRE, DEPOT))


def test_night_is_twice_as_fast_as_evening_rush() -> None:
    """At 03:00 traffic flows freely (factor 1.0); at 18:00 at half speed (factor 0.5)."""
    travel = OfflineTravelTimes()
    night = travel.duration_min(CENTRE, DEPOT, at(3))
    rush = travel.duration_min(CENTRE, DEPOT, at(18))
    assert MOSCOW_SPEED_FACTORS[3] == 1.0 and MOSCOW_SPEED_FACTORS[18] == 0.5
    assert rush == pytest.approx(2 * night)
    assert night == pytest.approx(travel.distance_km(CENTRE, DEPOT) / 45.0 * 60)


def test_leg_takes_the_speed_of_its_starting_hour() -> None:
    """A leg leaving at 18:59 still drives at the 18:00 speed."""
    travel = OfflineTravelTimes()
    late = datetime(2026, 7, 8, 18, 59, tzinfo=MOSCOW)
    assert travel.duration_min(CENTRE, DEPOT, late) == travel.duration_min(CENTRE, DEPOT, at(18))


def test_worst_matrix_uses_the_slowest_hour() -> None:
    """Over hours 17 and 3 the matrix holds the 18:00 (rush-hour) durations."""
    travel = OfflineTravelTimes()
    places = [CENTRE, DEPOT, SOKOLNIKI]
    matrix = travel.worst_matrix_min(places, [17, 3])
    assert matrix.shape == (3, 3)
    for i, origin in enumerate(places):
        for j, destination in enumerate(places):
            expected = travel.duration_min(origin, destination, at(18))
            assert matrix[i, j] == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_worst_matrix_is_symmetric_with_zero_diagonal() -> None:
    """Durations do not depend on direction, and staying put takes no time."""
    places = [CENTRE, DEPOT, SOKOLNIKI, SAINT_PETERSBURG]
    matrix = OfflineTravelTimes().worst_matrix_min(places, [17, 3])
    assert np.allclose(matrix, matrix.T)
    assert np.all(np.diag(matrix) == 0)
    assert np.all(matrix[~np.eye(len(places), dtype=bool)] > 0)


def test_worst_matrix_hours_wrap_around_the_day() -> None:
    """An hour past midnight (27 = 03:00) uses the night factor."""
    travel = OfflineTravelTimes()
    night = travel.worst_matrix_min([CENTRE, DEPOT], [27])
    assert night[0, 1] == pytest.approx(travel.duration_min(CENTRE, DEPOT, at(3)))


@pytest.mark.parametrize(
    "changes",
    [
        {"speed_factors": (1.0,) * 23},
        {"speed_factors": (1.0,) * 23 + (0.0,)},
        {"free_flow_kmh": 0},
        {"free_flow_kmh": -10},
        {"detour_factor": 0.9},
    ],
    ids=["23 factors", "zero factor", "zero speed", "negative speed", "detour below 1"],
)
def test_bad_parameters_are_refused(changes: dict[str, object]) -> None:
    """Impossible speed profiles and detour factors raise ``ValueError``."""
    with pytest.raises(ValueError):
        OfflineTravelTimes(**changes)  # type: ignore[arg-type]

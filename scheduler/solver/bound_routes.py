"""Every truck-day route the bound must allow, as a list of columns: the sets of stops a
route can hold, each with a lower bound on its drive (``solver.bound``'s route rows).

``truck_day_routes(stops, day, legs, limit) -> list[RouteColumn] | None``: ``None`` when more
than ``limit`` partial routes would have to be tried (the caller then keeps coarser rows).

**Why every valid route is here.** A route that ``checks.verify`` accepts leaves the depot at
``D`` in the shift (a second of tolerance), reaches each stop, starts its first screening at
least setup after arrival inside the stop's allowed first starts (``RouteStop.starts``,
already widened a minute), leaves at least ``tail_min`` after that start (the shortest
programme of ``k`` films and the teardown, less ``verify``'s seconds), drives on, and returns
by the shift's close within the longest shift. A leg takes the provider's time of the hour it
leaves in (``legs[h]``). So a leg that can leave at ``t`` or later arrives no earlier than
``min(t + legs[hour(t)], min over later hours u of (start of u + legs[u]))``: leaving in a
faster hour means waiting for it (``_arrival``); and it drives at least the fastest of
``legs[u]`` over those hours. Getting home from a stop through any further stops takes at
least the shortest path over the shift's fastest legs (``_home``).

Cut the shift's opening into buckets of ``STEP_MIN`` and take the bucket ``[D_j, N_j]``
holding ``D``. Going forward from ``D_j`` with those arrival bounds (the first leg over the
bucket's hours only) and each first screening at the earliest allowed start gives a lower
bound on every real moment (induction over the stops: a later arrival never allows an
earlier start, and the arrival bound grows with ``t``). So the real return ``R`` is at least
the computed ``R_j``, and ``R - D >= R_j - N_j``; a bucket where ``R_j`` is after the close or
``R_j - N_j`` is longer than the longest shift holds no real departure. A route is kept when
some bucket holds one, with the smallest computed drive over those buckets, so its cost in
the relaxation is at most its real travel cost. A prefix is dropped only when every bucket
already leaves too late to drive to one more stop, serve it and drive back in the shift
(fastest legs), which no extension can mend.
Routes with the same stops in another order are one column (the shortest drive kept): the
relaxation reads a route only through its stops and its drive.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["HourlyLegs", "RouteColumn", "RouteStop", "TruckDay", "truck_day_routes"]

STEP_MIN = 5.0
"""Width of the depot-departure buckets: a finer grid is tighter and slower (demo season's
bound, measured: 30 min 33,812; 15 min 33,158; 5 min 32,727; 1 min 32,333 at 4x the time)."""

_SECOND = 1.0 / 60.0
_HOUR_MARGIN = 0.1
"""Minutes a moment is taken earlier before reading its hour (``verify``'s seconds)."""
MAX_CELLS = 8_000_000
"""Most route-and-bucket cells a level may hold (two float arrays: 128 MB; the demo season
needs 6.3 million); past it the caller keeps the coarser rows."""
_CHUNK = 400_000
"""States x stops x buckets per array when extending routes (memory, not results)."""


@dataclass(frozen=True, slots=True)
class RouteStop:
    """A stop a route may hold: venue ``venue`` at ``place``."""

    venue: int
    place: int
    setup_min: float
    tail_min: float
    """From the first screening's start to the departure, at least."""
    starts: tuple[tuple[float, float], ...]
    """Allowed first-screening starts (minutes from the day's midnight), widened."""


@dataclass(frozen=True, slots=True)
class TruckDay:
    """A group of trucks' day: depot place, shift window and longest shift."""

    depot: int
    start_min: float
    end_min: float
    longest_min: float


@dataclass(frozen=True, slots=True)
class RouteColumn:
    """A route: indices into the stops (sorted) and its least drive."""

    stops: tuple[int, ...]
    drive_min: float


class HourlyLegs:
    """Leg minutes between places by departure hour: ``legs[h, a, b]``, ``h`` in 0..23."""

    def __init__(self, legs: np.ndarray) -> None:
        self.legs = legs
        self._tables: dict[tuple[int, int], _ShiftLegs] = {}

    def shift(self, first_hour: int, last_hour: int) -> _ShiftLegs:
        """The tables of a shift's hours (from the day's midnight, past 23 into the next)."""
        key = (first_hour, last_hour)
        if key not in self._tables:
            self._tables[key] = _ShiftLegs.of(self.legs, first_hour, last_hour)
        return self._tables[key]


@dataclass(frozen=True, slots=True)
class _ShiftLegs:
    """Per hour ``u`` of a shift (row ``u - first_hour``): ``now[u]`` the legs leaving in
    ``u``, ``fastest[u]`` the fastest over ``u`` and later hours, ``later[u]`` the earliest
    arrival leaving in a later hour (``start of u' + legs[u']``)."""

    first_hour: int
    last_hour: int
    now: np.ndarray
    fastest: np.ndarray
    later: np.ndarray

    @staticmethod
    def of(legs: np.ndarray, first_hour: int, last_hour: int) -> _ShiftLegs:
        hours = np.arange(first_hour, last_hour + 1)
        now = np.stack([legs[u % 24] for u in hours])
        fastest = np.minimum.accumulate(now[::-1], axis=0)[::-1]
        arrive = now + 60.0 * hours[:, None, None]
        later = np.full_like(now, np.inf)
        if len(hours) > 1:
            later[:-1] = np.minimum.accumulate(arrive[::-1], axis=0)[::-1][1:]
        return _ShiftLegs(first_hour, last_hour, now, fastest, later)

    def row(self, moment: np.ndarray) -> np.ndarray:
        """Rows for legs leaving at ``moment`` or later (clipped to the shift)."""
        safe = np.where(np.isfinite(moment), moment, self.last_hour * 60.0)
        hour = np.floor((safe - _HOUR_MARGIN) / 60.0).astype(int)
        rows: np.ndarray = np.clip(hour, self.first_hour, self.last_hour) - self.first_hour
        return rows


def truck_day_routes(
    stops: Sequence[RouteStop],
    day: TruckDay,
    legs: HourlyLegs,
    limit: int,
    *,
    repeat_venues: bool = False,
    max_stops: int | None = None,
    deadline: float = math.inf,
) -> list[RouteColumn] | None:
    """The routes of the module docstring over ``stops`` (a venue once per route unless
    ``repeat_venues``, at most ``max_stops``); ``None`` when more than ``limit`` states
    would be tried or ``deadline`` (``time.monotonic()``) passes."""
    if not stops:
        return []
    data = _StopArrays.of(stops)
    grid = _departures(day)
    ends = np.minimum(np.append(grid[1:], np.inf), day.end_min + _SECOND)
    shift = legs.shift(
        math.floor((day.start_min - 1.0) / 60.0), math.floor((day.end_min + 1.0) / 60.0)
    )
    arrive, drive = _first_legs(shift, grid, ends, day.depot, data.place)
    leave = _leave(arrive - _SECOND, data.setup[:, None], data.tail[:, None], data.lo, data.hi)
    drive = np.where(np.isfinite(leave), drive, np.inf)
    onward = _onward(data, shift, day.depot)
    prefixes = np.arange(len(stops))[:, None]
    found: dict[tuple[int, ...], float] = {}
    tried = len(stops)
    while len(prefixes):
        row = shift.row(leave)
        last = data.place[prefixes[:, -1]][:, None]
        home = _arrival(leave, shift.now[row, last, day.depot], shift.later[row, last, day.depot])
        ok = (home - _SECOND <= day.end_min + _SECOND) & (
            home - _SECOND - ends <= day.longest_min + _SECOND
        )
        _collect(found, prefixes, np.where(ok, drive + shift.fastest[row, last, day.depot], np.inf))
        if max_stops is not None and prefixes.shape[1] >= max_stops:
            break
        more = leave + onward[prefixes[:, -1]][:, None]
        alive = (more <= day.end_min + _SECOND) & (more - ends <= day.longest_min + _SECOND)
        keep = alive.any(axis=1)
        prefixes, leave, drive = prefixes[keep], np.where(alive, leave, np.inf)[keep], drive[keep]
        tried += len(prefixes) * len(stops)
        if tried > limit or time.monotonic() > deadline:
            return None
        if len(prefixes):
            extended = _extend(prefixes, leave, drive, data, shift, day, repeat_venues)
            if extended is None:
                return None
            prefixes, leave, drive = extended
    return [RouteColumn(key, d) for key, d in found.items()]


@dataclass(frozen=True, slots=True)
class _StopArrays:
    place: np.ndarray
    setup: np.ndarray
    tail: np.ndarray
    venue: np.ndarray
    lo: np.ndarray
    """``lo[i, w]``, ``hi[i, w]``: stop ``i``'s allowed first starts, padded."""
    hi: np.ndarray

    @staticmethod
    def of(stops: Sequence[RouteStop]) -> _StopArrays:
        width = max(1, max(len(s.starts) for s in stops))
        lo = np.full((len(stops), width), np.inf)
        hi = np.full((len(stops), width), -np.inf)
        for i, s in enumerate(stops):
            for w, (a, b) in enumerate(s.starts):
                lo[i, w], hi[i, w] = a, b
        return _StopArrays(
            np.array([s.place for s in stops]),
            np.array([s.setup_min for s in stops], dtype=float),
            np.array([s.tail_min for s in stops], dtype=float),
            np.array([s.venue for s in stops]),
            lo,
            hi,
        )


def _onward(data: _StopArrays, shift: _ShiftLegs, depot: int) -> np.ndarray:
    """Per stop: the least time from leaving it to being back at the depot through one
    more stop (its fastest leg there, setup and tail, then ``_home``), less ``verify``'s
    seconds."""
    fastest = shift.fastest[0]
    via = fastest[data.place][:, data.place] + (data.setup + data.tail)[None, :]
    via += _home(shift, depot)[data.place][None, :]
    onward: np.ndarray = via.min(axis=1) - 4 * _SECOND
    return onward


def _home(shift: _ShiftLegs, depot: int) -> np.ndarray:
    """Per place: the shortest path to the depot over the shift's fastest legs, a lower
    bound on getting home through any further stops whatever the provider (the fastest
    legs of different hours need not obey the triangle inequality)."""
    fastest = shift.fastest[0]
    dist: np.ndarray = fastest[:, depot].copy()
    dist[depot] = 0.0
    for _ in range(len(dist)):
        shorter = np.minimum(dist, (fastest + dist[None, :]).min(axis=1))
        if np.array_equal(shorter, dist):
            break
        dist = shorter
    return dist


def _departures(day: TruckDay) -> np.ndarray:
    """Bucket edges ``D_j`` from the shift's opening (less a second) to its close."""
    first = day.start_min - _SECOND
    count = max(1, math.ceil((day.end_min - first) / STEP_MIN))
    return first + STEP_MIN * np.arange(count, dtype=float)


def _first_legs(
    shift: _ShiftLegs, grid: np.ndarray, ends: np.ndarray, depot: int, place: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per stop and bucket: the earliest arrival and the least drive of the first leg,
    leaving in ``[D_j, N_j]``."""
    arrive = np.full((len(place), len(grid)), np.inf)
    drive = np.full((len(place), len(grid)), np.inf)
    first_row = shift.row(grid)
    last_row = shift.row(ends + _HOUR_MARGIN)
    for j, (d, a, b) in enumerate(zip(grid, first_row, last_row, strict=True)):
        for r in range(a, max(a, b) + 1):
            leg = shift.now[r, depot, place]
            leave = max(d, 60.0 * (r + shift.first_hour))
            np.minimum(arrive[:, j], leave + leg, out=arrive[:, j])
            np.minimum(drive[:, j], leg, out=drive[:, j])
    return arrive, drive


def _arrival(leave: np.ndarray, now: np.ndarray, later: np.ndarray) -> np.ndarray:
    """The earliest arrival of a leg that can leave at ``leave`` or later (``inf`` where
    it cannot leave at all)."""
    return np.where(np.isfinite(leave), np.minimum(leave + now, later), np.inf)


def _leave(
    ready: np.ndarray, setup: np.ndarray, tail: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> np.ndarray:
    """Earliest departure after the earliest allowed first start at least ``setup`` after
    arrival ``ready`` (``inf`` where there is none); ``lo``/``hi`` broadcast with a
    trailing axis."""
    earliest = (ready + setup - _SECOND)[..., None]
    first = np.maximum(earliest, lo[..., None, :])
    first = np.where(first <= hi[..., None, :], first, np.inf).min(axis=-1)
    leave: np.ndarray = first + tail
    return leave


def _collect(found: dict[tuple[int, ...], float], prefixes: np.ndarray, drive: np.ndarray) -> None:
    """Record each prefix that returns in some bucket, one column per set of stops."""
    best = drive.min(axis=1)
    rows = np.flatnonzero(np.isfinite(best))
    keys = np.sort(prefixes[rows], axis=1)
    for key_row, value in zip(keys.tolist(), best[rows].tolist(), strict=True):
        key = tuple(key_row)
        if value < found.get(key, math.inf):
            found[key] = value


def _extend(
    prefixes: np.ndarray,
    leave: np.ndarray,
    drive: np.ndarray,
    data: _StopArrays,
    shift: _ShiftLegs,
    day: TruckDay,
    repeat_venues: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Every prefix followed by every stop, forward one leg and one stop (buckets from
    which even the fastest drive home is too late are dropped); ``None`` past ``MAX_CELLS``."""
    n_stops, buckets = len(data.place), leave.shape[1]
    home = _home(shift, day.depot)[data.place][None, :, None] - 2 * _SECOND
    ends = np.minimum(np.append(_departures(day)[1:], np.inf), day.end_min + _SECOND)
    rows = max(1, _CHUNK // max(1, n_stops * buckets))
    out_prefix, out_leave, out_drive = [], [], []
    cells = 0
    for a in range(0, len(prefixes), rows):
        pre, lv, dr = prefixes[a : a + rows], leave[a : a + rows], drive[a : a + rows]
        row = shift.row(lv)[:, None, :]  # (S, 1, J)
        src = data.place[pre[:, -1]][:, None, None]
        dst = data.place[None, :, None]
        arrive = _arrival(lv[:, None, :], shift.now[row, src, dst], shift.later[row, src, dst])
        new_leave = _leave(
            arrive - _SECOND, data.setup[None, :, None], data.tail[None, :, None], data.lo, data.hi
        )
        back = new_leave + home
        late = (back > day.end_min + _SECOND) | (back - ends > day.longest_min + _SECOND)
        new_leave[late] = np.inf
        allowed = np.isfinite(new_leave).any(axis=2)
        if not repeat_venues:
            allowed &= (data.venue[pre][:, :, None] != data.venue[None, None, :]).all(axis=1)
        s_idx, o_idx = np.nonzero(allowed)
        cells += len(s_idx) * buckets
        if cells > MAX_CELLS:
            return None
        out_prefix.append(np.concatenate([pre[s_idx], o_idx[:, None]], axis=1))
        out_leave.append(new_leave[s_idx, o_idx])
        out_drive.append(dr[s_idx] + shift.fastest[row[s_idx, 0], src[s_idx, 0], dst[0, o_idx]])
    out_drive = [
        np.where(np.isfinite(lv), dr, np.inf) for lv, dr in zip(out_leave, out_drive, strict=True)
    ]
    return np.concatenate(out_prefix), np.concatenate(out_leave), np.concatenate(out_drive)

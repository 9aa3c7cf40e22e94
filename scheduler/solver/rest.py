"""The driver's rest rule as the solver sees it, in one place: the router's arcs
(``options``), the declared breaks of a timed route (``schedule``), hand edits
(``retime``) and the reasons for unserved venues (``reasons``) all ask ``RestRule``.

The referee is ``checks._driver_break``: between two rests of at least ``break_min`` the
driver works at most ``max_work_before_break_min``; driving, setup and teardown are work,
and screenings are work too unless ``screening_is_driver_rest``.

- Screenings as rest (the default): the work between two rests is teardown, a drive, a
  wait shorter than a break, and setup. An arc whose work would leave no room for a short
  wait gets a break; the break goes inside the drive.
- Screenings as work: the driver rests right before every arrival (a wait of a full
  break before setup), so a stop's work is known from its arrival on. A stop whose setup,
  programme and teardown alone are too long gets a full break between its screenings
  instead of the usual gap, or is dropped. The drive after a stop gets a declared break
  when the stop's last stretch of work plus the drive is too long.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from scheduler.domain import Break, Problem, Rules, Stop

__all__ = ["RestRule", "stop_work"]

_MINUTE = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class RestRule:
    """The driver's break rule: the router's arcs, the schedule's breaks and the reasons."""

    max_work_min: int
    break_min: int
    screenings_rest: bool
    """``rules.screening_is_driver_rest``: the parked driver rests during a screening."""
    screening_gap_min: int

    @staticmethod
    def of(problem: Problem) -> RestRule:
        """The rule of ``problem.rules``."""
        return RestRule.of_rules(problem.rules)

    @staticmethod
    def of_rules(rules: Rules) -> RestRule:
        """The rule of ``rules``."""
        return RestRule(
            rules.max_work_before_break_min,
            rules.break_min,
            rules.screening_is_driver_rest,
            rules.screening_gap_min,
        )

    # --- a stop's own work ------------------------------------------------------------

    def gap_min(self, setup_min: int, slots: int, slot_min: int, teardown_min: int) -> int | None:
        """Minutes between two screenings of a stop, or ``None`` when no gap makes the stop
        fit the rule. A setup or a teardown alone longer than the work limit never fits.
        With screenings as work, a stop whose setup, programme and teardown exceed the work
        limit gets a full break between its screenings."""
        gap = self.screening_gap_min
        if max(setup_min, teardown_min) > self.max_work_min:
            return None
        if self.screenings_rest:
            return gap
        if setup_min + slots * slot_min + (slots - 1) * gap + teardown_min <= self.max_work_min:
            return gap
        if slots < 2:
            return None
        if max(setup_min + slot_min, slot_min + teardown_min) > self.max_work_min:
            return None
        return max(gap, self.break_min)

    def tail_min(
        self, slots: int, slot_min: int, gap_min: int, teardown_min: int, service_min: int
    ) -> int:
        """Work at a stop from its last rest to its departure, at most (``service_min`` is
        setup, programme and teardown; with screenings as work, a rest precedes setup)."""
        if self.screenings_rest:
            return teardown_min
        if slots >= 2 and gap_min >= self.break_min:
            return slot_min + teardown_min
        return service_min

    def stop_tail_min(self, stop: Stop, setup_min: int, teardown_min: int) -> float:
        """``tail_min`` of a stop with known times, after a rest before its setup."""
        if self.screenings_rest:
            return float(teardown_min)
        work = stop_work(stop, setup_min, teardown_min, screenings_work=True)
        rested = self.rested_at(stop.arrival, work, stop.departure)
        return (stop.departure - rested) / _MINUTE

    # --- the router's arcs ------------------------------------------------------------

    @property
    def one_break_work_min(self) -> int:
        """The most work the router plans around one drive with one break in it (with
        screenings as rest, a short wait is kept too)."""
        limit = 2 * self.max_work_min
        return limit - self.break_min if self.screenings_rest else limit

    def arcs(
        self, tail: np.ndarray, travel: np.ndarray, setup: np.ndarray, to_stop: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Forbidden arcs and break minutes added to arcs, for nodes with ``tail`` work
        before leaving, ``setup`` after arriving, and ``to_stop`` where an arrival is a stop
        (not the depot)."""
        limit, pause = self.max_work_min, self.break_min
        extra = np.zeros(travel.shape, dtype=np.int64)
        if self.screenings_rest:
            work = tail[:, None] + travel + setup[None, :]
            extra[work > limit - pause] = pause
            return work > self.one_break_work_min, extra
        work = tail[:, None] + travel
        extra[:, to_stop] = pause  # a rest before setup
        extra[work > limit] += pause  # a break inside the drive
        forbidden = (work > self.one_break_work_min) | (tail[:, None] > limit)
        return forbidden, extra

    def arc(self, tail: float, drive: float, setup: float, to_stop: bool) -> tuple[bool, int]:
        """``arcs`` for one arc: forbidden, and the break minutes added to it."""
        forbidden, extra = self.arcs(
            np.array([tail]), np.array([[drive]]), np.array([setup]), np.array([to_stop])
        )
        return bool(forbidden[0, 0]), int(extra[0, 0])

    # --- the timed route --------------------------------------------------------------

    def first_pause_min(self, first_leg_min: float, setup_min: int) -> int:
        """Minutes the first drive needs for breaks (a declared break in it, or a rest
        before setup), as the router reserved them."""
        if self.screenings_rest:
            return self.break_min if self.needs_break(0, first_leg_min, setup_min) else 0
        return self.arc(0, first_leg_min, setup_min, True)[1]

    def needs_break(self, before: float, drive: float, after: float) -> bool:
        """The router's test with screenings as rest: teardown + drive + setup leaves no
        room for a short wait. With screenings as work: the drive itself needs a break."""
        if self.screenings_rest:
            return before + drive + after > self.max_work_min - self.break_min
        return before + drive > self.max_work_min

    def leg_break(
        self, leave: datetime, drive: float, arrive: datetime, before: float, after: float
    ) -> list[Break]:
        """A declared break inside this drive, if the pieces around it would be too long.

        ``before`` is the work since the last rest when the truck leaves (with screenings
        as rest, the teardown), ``after`` the setup on arrival.
        """
        idle = (arrive - leave) / _MINUTE - drive
        if self.screenings_rest:
            if idle >= self.break_min and before + drive <= self.max_work_min:
                return []
            if idle < self.break_min and before + drive + idle + after <= self.max_work_min:
                return []
            length = max(idle, self.break_min)
        else:
            if before + drive <= self.max_work_min:
                return []  # the wait before setup is the rest
            # keep a full rest before setup when the wait allows both
            length = self.break_min if idle >= 2 * self.break_min else max(idle, self.break_min)
        start = leave + timedelta(minutes=min(drive, max(0.0, self.max_work_min - before)))
        return [Break(start, start + timedelta(minutes=length))]

    def rested_at(
        self, start: datetime, work: Iterable[tuple[datetime, datetime]], now: datetime
    ) -> datetime:
        """The end of the last rest (a pause of at least a break) between ``start`` and
        ``now``, given the work so far; ``start`` when there was none. Screenings are
        never in ``work``: pass them as work when they count as work."""
        rested, cursor = start, start
        for busy_from, busy_to in sorted(w for w in work if w[1] > w[0] and w[0] < now):
            if (busy_from - cursor) / _MINUTE >= self.break_min - 1e-6:
                rested = busy_from
            cursor = max(cursor, busy_to)
        if (now - cursor) / _MINUTE >= self.break_min - 1e-6:
            rested = now
        return rested


def stop_work(
    stop: Stop, setup_min: int, teardown_min: int, screenings_work: bool
) -> list[tuple[datetime, datetime]]:
    """The driver's work at a stop, as the validator counts it: setup, teardown and (when
    they are work) the screenings."""
    work = [(stop.arrival, stop.arrival + timedelta(minutes=setup_min))]
    if stop.screenings:
        packed = stop.screenings[-1].end
        work.append((packed, packed + timedelta(minutes=teardown_min)))
        if screenings_work:
            work.extend((show.start, show.end) for show in stop.screenings)
    return work

"""Which film in which slot: one CP-SAT model per planning window.

Each routed stop has slots with a fixed start and a length; a film fits a slot when it is
licensed that day, certified, allowed for the venue's audience and the hour, not shown at
the venue before, under its cap, and no longer than the slot. The model fills as much
slot value as it can and spreads films across venues (programmes should vary).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from ortools.sat.python import cp_model

from scheduler.domain import Film, Rules, Venue
from scheduler.solver.windows import eligible_films

__all__ = ["Slot", "assign_films"]


@dataclass(frozen=True, slots=True)
class Slot:
    """A screening slot of a routed stop."""

    key: tuple[int, int]
    """``(stop number, slot number)`` within the window."""
    venue: Venue
    day: date
    start_min: int
    """Minutes from local midnight of ``day``."""
    capacity_min: int
    weight: float
    """Share of the stop's value this slot carries."""
    only_slot: bool


def fits(film: Film, slot: Slot, rules: Rules) -> bool:
    """Slot-specific checks beyond ``eligible_films``."""
    if film.runtime_min > slot.capacity_min:
        return False
    if film.rating >= rules.late_rating and slot.start_min < rules.late_rating_after_min:
        return False
    # a lone screening is the driver's rest only when it lasts a full break
    return not (
        slot.only_slot and rules.screening_is_driver_rest and film.runtime_min < rules.break_min
    )


def assign_films(
    slots: Sequence[Slot],
    films: Sequence[Film],
    rules: Rules,
    shown: Mapping[str, frozenset[str]],
    uses: Counter[str],
    time_limit_s: float = 2.0,
) -> dict[tuple[int, int], Film]:
    """Choose a film for as many slots as possible; slots left out get no film."""
    model = cp_model.CpModel()
    choice: dict[tuple[tuple[int, int], str], cp_model.IntVar] = {}
    by_id = {f.id: f for f in films}
    for slot in slots:
        candidates = eligible_films(
            slot.venue, slot.day, films, shown.get(slot.venue.id, frozenset())
        )
        for film in candidates:
            if fits(film, slot, rules) and _left(film, uses) > 0:
                choice[slot.key, film.id] = model.new_bool_var(f"x{slot.key}_{film.id}")
    if not choice:
        return {}
    _constraints(model, choice, slots, by_id, uses)
    model.maximize(_objective(model, choice, slots, by_id, uses, len(films)))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.2, time_limit_s)
    solver.parameters.num_workers = 2
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return {}
    return {key: by_id[film_id] for (key, film_id), var in choice.items() if solver.value(var)}


def _left(film: Film, uses: Counter[str]) -> int:
    if film.max_screenings is None:
        return 1 << 30
    return film.max_screenings - uses[film.id]


def _constraints(
    model: cp_model.CpModel,
    choice: dict[tuple[tuple[int, int], str], cp_model.IntVar],
    slots: Sequence[Slot],
    by_id: Mapping[str, Film],
    uses: Counter[str],
) -> None:
    venue_of = {slot.key: slot.venue.id for slot in slots}
    per_slot: dict[tuple[int, int], list[cp_model.IntVar]] = {}
    per_venue_film: dict[tuple[str, str], list[cp_model.IntVar]] = {}
    per_film: dict[str, list[cp_model.IntVar]] = {}
    for (key, film_id), var in choice.items():
        per_slot.setdefault(key, []).append(var)
        per_venue_film.setdefault((venue_of[key], film_id), []).append(var)
        per_film.setdefault(film_id, []).append(var)
    for group in (*per_slot.values(), *per_venue_film.values()):
        model.add_at_most_one(group)
    for film_id, group in per_film.items():
        left = _left(by_id[film_id], uses)
        if left < len(group):
            model.add(sum(group) <= left)


def _objective(
    model: cp_model.CpModel,
    choice: dict[tuple[tuple[int, int], str], cp_model.IntVar],
    slots: Sequence[Slot],
    by_id: Mapping[str, Film],
    uses: Counter[str],
    n_films: int,
) -> cp_model.LinearExprT:
    slot_of = {slot.key: slot for slot in slots}
    terms: list[cp_model.LinearExprT] = []
    per_film: dict[str, list[cp_model.IntVar]] = {}
    for (key, film_id), var in choice.items():
        slot, film = slot_of[key], by_id[film_id]
        score = round(1000 * slot.weight)
        score += round(20 * film.runtime_min / slot.capacity_min)  # fill the slot
        score -= 3 * uses[film_id]  # season-wide variety
        if key[1] == 0 and not slot.only_slot and film.rating <= 6:
            score += 10  # a family film first
        terms.append(score * var)
        per_film.setdefault(film_id, []).append(var)
    fair = max(1, -(-len(slots) // max(1, n_films)))
    for film_id, group in per_film.items():
        excess = model.new_int_var(0, len(group), f"excess_{film_id}")
        model.add(excess >= sum(group) - fair)
        terms.append(-40 * excess)
    return sum(terms)

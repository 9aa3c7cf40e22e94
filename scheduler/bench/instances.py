"""Public benchmark instances: Solomon VRPTW and TOPTW (Righini & Salani, Montemanni &
Gambardella) files, and their best-known values.

Reading is pure: a file becomes an ``Instance`` of frozen values in the file's own units;
``scheduler.bench.adapter`` turns it into the routing core's problem. The data lives outside
the repository, in ``shared/benchmarks/<set>/`` next to it (see ``benchmarks_root``).

Formats (see ``SOURCE.md`` in each folder):

- **Solomon**: the instance name, a ``VEHICLE`` section (``NUMBER CAPACITY`` then the fleet
  size and capacity), a ``CUSTOMER`` section with rows ``id x y demand ready due service``;
  row 0 is the depot, whose due date is the horizon.
- **TOPTW**: ``k v N t``, then ``D Q``, then ``N + 1`` rows ``i x y d S f a <a entries> O C``
  (service ``d``, score ``S``, window ``[O, C]`` = the last two tokens); vertex 0 is the depot
  and its closing time is every tour's budget.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Literal

from scheduler.errors import InvalidProblem

__all__ = [
    "BENCHMARKS_ENV",
    "Customer",
    "Instance",
    "Kind",
    "available_instances",
    "benchmarks_root",
    "best_known",
    "find_instance",
    "read_instance",
    "read_solomon",
    "read_toptw",
    "set_dir",
]

Kind = Literal["solomon", "toptw"]
KINDS: tuple[Kind, ...] = ("solomon", "toptw")

BENCHMARKS_ENV = "SCHEDULER_BENCHMARKS"
"""Environment variable naming the folder that holds ``solomon/`` and ``toptw/``."""

SOLOMON_BKS_KIND = "distance_only_dimacs_trunc1dec"
"""The ``objective_kind`` of the Solomon best-known values we compare with (total distance,
distances truncated to one decimal)."""


@dataclass(frozen=True, slots=True)
class Customer:
    """One vertex of an instance, in the file's units (the depot is customer 0).

    ``ready`` and ``due`` bound the start of service; ``score`` is 0 in Solomon files and
    ``demand`` is 0 in TOPTW files.
    """

    id: int
    x: float
    y: float
    demand: int
    ready: float
    due: float
    service: float
    score: float


@dataclass(frozen=True, slots=True)
class Instance:
    """A benchmark instance as read from its file.

    ``fleet`` is the Solomon fleet size (for TOPTW the header's ``v``, a fleet that can visit
    every vertex; the number of tours ``m`` is not in the file). ``capacity`` is 0 for TOPTW.
    ``horizon`` is the depot's due (closing) time. Distances are Euclidean truncated to
    ``decimals`` decimals, and travel time equals distance.
    """

    name: str
    kind: Kind
    depot: Customer
    customers: tuple[Customer, ...]
    fleet: int
    capacity: int
    horizon: float
    decimals: int


# -- locating files ---------------------------------------------------------------------------


def _has_sets(folder: Path) -> bool:
    return any((folder / kind).is_dir() for kind in KINDS)


def benchmarks_root() -> Path | None:
    """The folder holding ``solomon/`` and ``toptw/``, or None when there is none.

    ``$SCHEDULER_BENCHMARKS`` wins when set; otherwise the first ``shared/benchmarks`` found
    walking up from the working directory, then from this package (the repository normally
    sits next to ``shared/``).
    """
    configured = os.environ.get(BENCHMARKS_ENV)
    if configured:
        folder = Path(configured).expanduser()
        return folder if folder.is_dir() else None
    for start in (Path.cwd(), Path(__file__).resolve().parent):
        for folder in (start, *start.parents):
            candidate = folder / "shared" / "benchmarks"
            if candidate.is_dir() and _has_sets(candidate):
                return candidate
    return None


def set_dir(kind: Kind) -> Path | None:
    """The folder of one benchmark set (``<root>/solomon`` or ``<root>/toptw``), if present."""
    root = benchmarks_root()
    if root is None or not (root / kind).is_dir():
        return None
    return root / kind


def available_instances(kind: Kind) -> dict[str, Path]:
    """Instance files of a set by lower-case name (``c101``), in file-name order."""
    folder = set_dir(kind)
    if folder is None:
        return {}
    return {path.stem.lower(): path for path in sorted(folder.glob("*.txt"))}


def find_instance(kind: Kind, name_or_path: str | Path) -> Instance:
    """Read an instance given by name (``C101``, ``c101``, ``pr01``: looked up in the set's
    folder, any case) or by the path of a file in the set's format."""
    if kind not in KINDS:
        raise InvalidProblem([("kind", f"unknown benchmark set {kind!r}: use solomon or toptw")])
    text = str(name_or_path).strip()
    path = Path(text).expanduser()
    if path.is_file():
        return read_instance(kind, path)
    if isinstance(name_or_path, Path) or os.sep in text or "/" in text or path.suffix:
        raise InvalidProblem([(text, "no such instance file")])
    known = available_instances(kind)
    found = known.get(text.lower())
    if found is None:
        folder = set_dir(kind)
        if folder is None and os.environ.get(BENCHMARKS_ENV):
            where = f"${BENCHMARKS_ENV} is set, but it has no {kind}/ folder"
        elif folder is None:
            where = (
                f"no benchmark folder found (looked for shared/benchmarks/{kind} above the "
                f"working directory and the package; set ${BENCHMARKS_ENV} to the folder that "
                f"holds {kind}/)"
            )
        else:
            names = ", ".join(sorted(known)) if len(known) <= 12 else _summary(list(known))
            where = f"not in {folder} (known: {names})"
        raise InvalidProblem([(text or "instance", f"unknown {kind} instance: {where}")])
    return read_instance(kind, found)


def _summary(names: list[str]) -> str:
    return f"{names[0]} … {names[-1]}, {len(names)} files"


def read_instance(kind: Kind, path: Path) -> Instance:
    """Read a file of the given set's format."""
    return read_solomon(path) if kind == "solomon" else read_toptw(path)


# -- parsing ------------------------------------------------------------------------------------


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidProblem([(str(path), f"cannot read: {exc}")]) from exc


def _number(token: str, where: str, what: str) -> float:
    try:
        value = Decimal(token)
    except InvalidOperation:
        raise InvalidProblem([(where, f"{what} {token!r} is not a number")]) from None
    if not value.is_finite():
        raise InvalidProblem([(where, f"{what} {token!r} is not a finite number")])
    return float(value)


def _integer(token: str, where: str, what: str) -> int:
    value = _number(token, where, what)
    if value != int(value):
        raise InvalidProblem([(where, f"{what} {token!r} is not a whole number")])
    return int(value)


def _check_vertices(path: Path, vertices: list[Customer], where: list[str]) -> None:
    """Shared sanity rules: depot first, unique ids, windows, non-negative numbers."""
    problems: list[tuple[str, str]] = []
    if len(vertices) < 2:
        problems.append((str(path), "needs a depot row and at least one customer row"))
    elif vertices[0].id != 0:
        problems.append((where[0], f"the first vertex must be the depot 0, not {vertices[0].id}"))
    seen: set[int] = set()
    for vertex, place in zip(vertices, where, strict=True):
        if vertex.id in seen:
            problems.append((place, f"vertex id {vertex.id} appears twice"))
        seen.add(vertex.id)
        if vertex.ready > vertex.due:
            problems.append(
                (place, f"window opens at {vertex.ready} after it closes ({vertex.due})")
            )
        for what, value in (
            ("demand", vertex.demand),
            ("service", vertex.service),
            ("score", vertex.score),
            ("ready", vertex.ready),
        ):
            if value < 0:
                problems.append((place, f"{what} {value} is negative"))
    if vertices and vertices[0].due <= 0:
        problems.append((where[0], "the depot's horizon must be positive"))
    if problems:
        raise InvalidProblem(problems)


def read_solomon(path: str | Path) -> Instance:
    """Read a Solomon VRPTW text file (classic layout, any line endings)."""
    path = Path(path)
    lines = _lines(path)
    tokens = [line.split() for line in lines]
    nonempty = [i for i, row in enumerate(tokens) if row]
    if not nonempty:
        raise InvalidProblem([(str(path), "empty file")])
    name = " ".join(tokens[nonempty[0]])
    upper = [[t.upper() for t in row] for row in tokens]
    header = next((i for i, row in enumerate(upper) if row[:2] == ["NUMBER", "CAPACITY"]), None)
    if header is None:
        raise InvalidProblem([(str(path), "no VEHICLE section ('NUMBER CAPACITY' line)")])
    fleet_line = next((i for i in nonempty if i > header), None)
    if fleet_line is None or len(tokens[fleet_line]) != 2:
        raise InvalidProblem([(f"{path}:{header + 2}", "expected 'fleet capacity' after NUMBER")])
    where = f"{path}:{fleet_line + 1}"
    fleet = _integer(tokens[fleet_line][0], where, "fleet size")
    capacity = _integer(tokens[fleet_line][1], where, "capacity")
    if fleet < 1 or capacity < 1:
        raise InvalidProblem([(where, "fleet size and capacity must be positive")])
    section = next((i for i, row in enumerate(upper) if row[:1] == ["CUSTOMER"]), None)
    if section is None:
        raise InvalidProblem([(str(path), "no CUSTOMER section")])
    vertices: list[Customer] = []
    places: list[str] = []
    for i in nonempty:
        if i <= section or upper[i][:1] == ["CUST"]:
            continue
        row, place = tokens[i], f"{path}:{i + 1}"
        if len(row) != 7:
            raise InvalidProblem(
                [(place, f"expected 7 numbers (id x y demand ready due service), got {len(row)}")]
            )
        vertices.append(
            Customer(
                id=_integer(row[0], place, "id"),
                x=_number(row[1], place, "x"),
                y=_number(row[2], place, "y"),
                demand=_integer(row[3], place, "demand"),
                ready=_number(row[4], place, "ready time"),
                due=_number(row[5], place, "due date"),
                service=_number(row[6], place, "service time"),
                score=0.0,
            )
        )
        places.append(place)
    _check_vertices(path, vertices, places)
    too_big = [
        (p, f"demand {c.demand} over capacity")
        for c, p in zip(vertices, places, strict=True)
        if c.demand > capacity
    ]
    if too_big:
        raise InvalidProblem(too_big)
    depot = vertices[0]
    return Instance(
        name=name,
        kind="solomon",
        depot=depot,
        customers=tuple(vertices[1:]),
        fleet=fleet,
        capacity=capacity,
        horizon=depot.due,
        decimals=1,
    )


def _fraction_digits(token: str) -> int:
    """Digits after the decimal point that are not trailing zeros (``"40.00"`` -> 0)."""
    _, _, fraction = token.partition(".")
    return len(fraction.rstrip("0"))


def read_toptw(path: str | Path, decimals: int | None = None) -> Instance:
    """Read a TOPTW file (Righini & Salani / Montemanni & Gambardella format).

    ``decimals`` is the precision distances are truncated to. By default it is 2 for the
    Cordeau-based files (named ``pr*``, or any file whose coordinates have decimals) and 1
    for the Solomon-based ones, as in the literature.
    """
    path = Path(path)
    lines = _lines(path)
    rows = [(i, line.split()) for i, line in enumerate(lines) if line.split()]
    if len(rows) < 3:
        raise InvalidProblem([(str(path), "expected a 'k v N t' line, a 'D Q' line and vertices")])
    (head_at, head), (_, _budget) = rows[0], rows[1]
    where = f"{path}:{head_at + 1}"
    if len(head) < 3:
        raise InvalidProblem([(where, "expected 'k v N t' on the first line")])
    fleet = _integer(head[1], where, "v (number of paths)")
    count = _integer(head[2], where, "N (number of vertices)")
    vertex_rows = rows[2:]
    if len(vertex_rows) != count + 1:
        raise InvalidProblem(
            [(str(path), f"the header announces {count} + 1 vertices, found {len(vertex_rows)}")]
        )
    vertices: list[Customer] = []
    places: list[str] = []
    precise = False
    for i, row in vertex_rows:
        place = f"{path}:{i + 1}"
        if len(row) < 9:
            raise InvalidProblem(
                [(place, f"expected 'i x y d S f a <list> O C' (9+ numbers), got {len(row)}")]
            )
        precise = precise or _fraction_digits(row[1]) > 0 or _fraction_digits(row[2]) > 0
        vertices.append(
            Customer(
                id=_integer(row[0], place, "id"),
                x=_number(row[1], place, "x"),
                y=_number(row[2], place, "y"),
                demand=0,
                ready=_number(row[-2], place, "opening time"),
                due=_number(row[-1], place, "closing time"),
                service=_number(row[3], place, "service duration"),
                score=_number(row[4], place, "score"),
            )
        )
        places.append(place)
    _check_vertices(path, vertices, places)
    if decimals is None:
        decimals = 2 if path.stem.lower().startswith("pr") or precise else 1
    depot = vertices[0]
    return Instance(
        name=path.stem,
        kind="toptw",
        depot=depot,
        customers=tuple(vertices[1:]),
        fleet=fleet,
        capacity=0,
        horizon=depot.due,
        decimals=decimals,
    )


# -- best-known values --------------------------------------------------------------------------


def best_known(kind: Kind, name: str, vehicles: int | None = None) -> float | None:
    """The best-known objective from the set's ``bks.csv``, or None when there is none.

    Solomon: the distance-only value in the DIMACS convention (``vehicles`` is ignored: the
    fleet is the instance's). TOPTW: the best-known total score with ``vehicles`` tours
    (default 1).
    """
    folder = set_dir(kind)
    if folder is None or not (folder / "bks.csv").is_file():
        return None
    table = _bks_table(folder / "bks.csv")
    if kind == "solomon":
        return table.get((name.lower(), SOLOMON_BKS_KIND, None))
    return table.get((name.lower(), None, vehicles or 1))


def _bks_table(path: Path) -> dict[tuple[str, str | None, int | None], float]:
    """Solomon rows keyed by (name, objective kind, None); TOPTW by (name, None, vehicles)."""
    table: dict[tuple[str, str | None, int | None], float] = {}
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            for number, row in enumerate(csv.DictReader(handle), start=2):
                place = f"{path}:{number}"
                try:
                    name, kind = row["instance"].strip().lower(), row["objective_kind"].strip()
                    value = _number(row["value"].strip(), place, "value")
                    vehicles = _integer(row["vehicles"].strip(), place, "vehicles")
                except (KeyError, AttributeError):
                    raise InvalidProblem(
                        [(place, "expected columns instance,objective_kind,value,vehicles")]
                    ) from None
                if kind.startswith("total_score"):
                    table[(name, None, vehicles)] = value
                else:
                    table[(name, kind, None)] = value
    except OSError as exc:
        raise InvalidProblem([(str(path), f"cannot read: {exc}")]) from exc
    return table

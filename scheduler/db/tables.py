"""The database tables (SQLAlchemy 2.0 typed declarative models).

Catalogue entities (venues, trucks, films) mirror the scenario file's wire models in
``scheduler.schemas`` column for column (nested and list fields are JSON columns), so one
wire model serves the files, the API and the database. A season is a scenario: dates,
rules and the catalogue entities it includes. Plans are versions: every solve, hand edit,
re-plan and roll-back writes a new plan with its parent; routes, stops and screenings are
rows of it, and each plan keeps the scenario it was planned from (``scenario``), so a plan
can always be re-checked and exported even after the catalogue changed.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship

from scheduler.db.types import Json, UtcDateTime, utcnow

__all__ = [
    "AuditEntry",
    "Base",
    "DriverEvent",
    "Film",
    "Job",
    "LoginFailure",
    "PlanRow",
    "RouteRow",
    "ScreeningRow",
    "Season",
    "StopRow",
    "Token",
    "Truck",
    "UnservedRow",
    "User",
    "Venue",
]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID = 100
"""Length of catalogue ids (slugs), as in the scenario format."""


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: Json,
        list[Any]: Json,
        datetime: UtcDateTime,
    }


class _Versioned:
    """A row with an optimistic-concurrency version (the API's ETag) and timestamps."""

    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


# --- catalogue ------------------------------------------------------------------------


class Venue(_Versioned, Base):
    __tablename__ = "venues"

    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    okrug: Mapped[str] = mapped_column(String(100), index=True)
    district: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(100), default="park")
    address: Mapped[str] = mapped_column(Text, default="")
    audience_seats: Mapped[int] = mapped_column(Integer)
    priority: Mapped[float] = mapped_column(Float, default=1.0)
    hours: Mapped[list[Any]] = mapped_column(default=list)
    allowed_dates: Mapped[list[Any] | None] = mapped_column(nullable=True)
    residential: Mapped[bool] = mapped_column(Boolean, default=True)
    inside_ttk: Mapped[bool] = mapped_column(Boolean, default=False)
    max_rating: Mapped[int] = mapped_column(Integer, default=18)
    excluded_film_ids: Mapped[list[Any]] = mapped_column(default=list)
    max_visits: Mapped[int | None] = mapped_column(Integer, nullable=True)
    source: Mapped[str] = mapped_column(Text, default="")
    day_hours: Mapped[list[Any]] = mapped_column(default=list)
    """Opening hours by weekday or date (``schemas.DayHoursModel`` as JSON)."""
    min_gap_days: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Truck(_Versioned, Base):
    __tablename__ = "trucks"

    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    depot: Mapped[dict[str, Any]] = mapped_column()
    screen: Mapped[str] = mapped_column(String(20))
    shift: Mapped[dict[str, Any]] = mapped_column()
    max_shift_min: Mapped[int] = mapped_column(Integer)
    setup_min: Mapped[int] = mapped_column(Integer)
    teardown_min: Mapped[int] = mapped_column(Integer)
    has_ttk_pass: Mapped[bool] = mapped_column(Boolean, default=False)
    available_dates: Mapped[list[Any] | None] = mapped_column(nullable=True)
    day_shifts: Mapped[list[Any]] = mapped_column(default=list)
    """Shifts by weekday or date (``schemas.DayShiftModel`` as JSON)."""


class Film(_Versioned, Base):
    __tablename__ = "films"

    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    runtime_min: Mapped[int] = mapped_column(Integer)
    rating: Mapped[int] = mapped_column(Integer)
    licence_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    licence_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    certificate: Mapped[str | None] = mapped_column(Text, nullable=True)
    festival_exempt: Mapped[bool] = mapped_column(Boolean, default=False)
    max_screenings: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Season(_Versioned, Base):
    """A planning season: dates, rules and the catalogue entities it includes."""

    __tablename__ = "seasons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    excluded_dates: Mapped[list[Any]] = mapped_column(default=list)
    rules: Mapped[dict[str, Any]] = mapped_column(default=dict)
    venue_ids: Mapped[list[Any]] = mapped_column(default=list)
    truck_ids: Mapped[list[Any]] = mapped_column(default=list)
    film_ids: Mapped[list[Any]] = mapped_column(default=list)
    published_plan_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """The version drivers and the public see (plans refer to seasons, not the reverse)."""


# --- plans ----------------------------------------------------------------------------


class PlanRow(Base):
    """One version of a season's plan."""

    __tablename__ = "plans"
    __table_args__ = (UniqueConstraint("season_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    season_id: Mapped[int] = mapped_column(ForeignKey("seasons.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    """The version number within the season: 1, 2, 3, ..."""
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("plans.id", ondelete="SET NULL"), nullable=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    """How it was made: solve, edit, replan, rollback, import."""
    draft: Mapped[bool] = mapped_column(Boolean, default=False)
    """Cancelled solves and edits saved with violations are drafts: never published."""
    note: Mapped[str] = mapped_column(Text, default="")
    objective: Mapped[float] = mapped_column(Float, default=0.0)
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)
    violations: Mapped[list[Any]] = mapped_column(default=list)
    scenario: Mapped[dict[str, Any]] = mapped_column()
    """The scenario file (wire format) this plan was made for."""
    published_at: Mapped[datetime | None] = mapped_column(nullable=True)
    """When this version was published; set only while it is the season's published one."""
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)
    replan: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
    """A re-plan version's record (its situation, dropped screenings, changes, KPIs before
    and after, as ``api.replan.ReplanRecord`` JSON); None for every other kind."""

    routes: Mapped[list[RouteRow]] = relationship(
        back_populates="plan",
        cascade="all, delete-orphan",
        order_by="(RouteRow.day, RouteRow.truck_id)",
    )
    unserved: Mapped[list[UnservedRow]] = relationship(
        cascade="all, delete-orphan", order_by="UnservedRow.id"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class RouteRow(Base):
    """One truck's day in a plan; ``locked`` keeps it exactly in the next solve."""

    __tablename__ = "routes"
    __table_args__ = (UniqueConstraint("plan_id", "truck_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    truck_id: Mapped[str] = mapped_column(String(ID))
    day: Mapped[date] = mapped_column(Date)
    depot_departure: Mapped[datetime] = mapped_column()
    depot_return: Mapped[datetime] = mapped_column()
    breaks: Mapped[list[Any]] = mapped_column(default=list)
    """Declared breaks: ``[[start, end], ...]`` as ISO 8601 strings."""
    locked: Mapped[bool] = mapped_column(Boolean, default=False)

    plan: Mapped[PlanRow] = relationship(back_populates="routes")
    stops: Mapped[list[StopRow]] = relationship(
        back_populates="route", cascade="all, delete-orphan", order_by="StopRow.position"
    )


class StopRow(Base):
    __tablename__ = "stops"
    __table_args__ = (Index("ix_stops_venue", "venue_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    route_id: Mapped[int] = mapped_column(ForeignKey("routes.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    venue_id: Mapped[str] = mapped_column(String(ID))
    arrival: Mapped[datetime] = mapped_column()
    departure: Mapped[datetime] = mapped_column()
    locked: Mapped[bool] = mapped_column(Boolean, default=False)

    route: Mapped[RouteRow] = relationship(back_populates="stops")
    screenings: Mapped[list[ScreeningRow]] = relationship(
        cascade="all, delete-orphan", order_by="ScreeningRow.position"
    )


class ScreeningRow(Base):
    __tablename__ = "screenings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stop_id: Mapped[int] = mapped_column(ForeignKey("stops.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    film_id: Mapped[str] = mapped_column(String(ID))
    start: Mapped[datetime] = mapped_column(index=True)
    end: Mapped[datetime] = mapped_column()


class UnservedRow(Base):
    __tablename__ = "unserved"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    venue_id: Mapped[str] = mapped_column(String(ID))
    reason: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)


# --- jobs -----------------------------------------------------------------------------


class Job(Base):
    """A background solve: queued -> running -> done | failed | cancelled."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    season_id: Mapped[int] = mapped_column(ForeignKey("seasons.id", ondelete="CASCADE"), index=True)
    base_plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("plans.id", ondelete="SET NULL"), nullable=True
    )
    """The plan whose locks the solve keeps (and the new version's parent)."""
    state: Mapped[str] = mapped_column(String(20), index=True)
    backend: Mapped[str] = mapped_column(String(20))
    time_limit_s: Mapped[float] = mapped_column(Float)
    windows_done: Mapped[int] = mapped_column(Integer, default=0)
    windows_total: Mapped[int] = mapped_column(Integer, default=0)
    best_objective: Mapped[float | None] = mapped_column(Float, nullable=True)
    plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("plans.id", ondelete="SET NULL"), nullable=True
    )
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    publish: Mapped[bool] = mapped_column(Boolean, default=False)
    """Publish the plan when the solve ends with no violation (the demo's first plan)."""
    error: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)


# --- people ---------------------------------------------------------------------------


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    truck_id: Mapped[str | None] = mapped_column(
        ForeignKey("trucks.id", ondelete="SET NULL"), nullable=True
    )
    password_hash: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Token(Base):
    """A login session; the token itself is never stored, only its keyed hash."""

    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)


class LoginFailure(Base):
    """A failed login, for the per-user rate limit."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_name: Mapped[str] = mapped_column(String(100), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class DriverEvent(Base):
    """What a driver reported; ``client_id`` makes a replayed post idempotent."""

    __tablename__ = "driver_events"
    __table_args__ = (UniqueConstraint("truck_id", "client_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    truck_id: Mapped[str] = mapped_column(String(ID), index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("plans.id", ondelete="SET NULL"), nullable=True
    )
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(30))
    venue_id: Mapped[str | None] = mapped_column(String(ID), nullable=True)
    delay_min: Mapped[int | None] = mapped_column(Integer, nullable=True)
    screening_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """Which screening of the stop (0-based) a ``screening_*`` event is about."""
    note: Mapped[str] = mapped_column(Text, default="")
    client_time: Mapped[datetime] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """Who changed what, when: ``before`` and ``after`` hold ids or snapshots."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    user_name: Mapped[str] = mapped_column(String(100), default="")
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40), index=True)
    entity_id: Mapped[str] = mapped_column(String(ID))
    before: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)

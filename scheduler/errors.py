"""Errors the scheduler raises on purpose.

Tree::

    SchedulerError              base; the API maps it to an HTTP status, the CLI to exit code 2
    ├── InvalidProblem          bad or contradictory input (422); names the field
    ├── NotFound                an id that does not exist (404)
    ├── Conflict                a stale version or a clash with what is stored (409)
    ├── Forbidden               the caller may not do this (403)
    ├── Unauthorized            no valid login (401)
    ├── TravelError             a travel-time source failed: a missing or corrupt road cache, an
    │                           OSRM server that timed out or answered garbage (400)
    └── SolverError             the planning engine failed on valid input (500); logged with
                                its traceback, shown as a message

"""

from __future__ import annotations

__all__ = [
    "Conflict",
    "Forbidden",
    "InvalidProblem",
    "NotFound",
    "SchedulerError",
    "SolverError",
    "TravelError",
    "Unauthorized",
]


class SchedulerError(Exception):
    """Base of every error the scheduler raises on purpose."""


class InvalidProblem(SchedulerError):
    """Input that cannot be planned; ``problems`` lists ``(field, message)`` pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{field}: {message}" for field, message in problems))


class NotFound(SchedulerError):
    """An id that does not exist."""


class Conflict(SchedulerError):
    """A stale version (``If-Match``) or a clash with stored data."""


class Forbidden(SchedulerError):
    """The caller is logged in but may not do this."""


class Unauthorized(SchedulerError):
    """No valid login token."""


class TravelError(SchedulerError):
    """A travel-time source failed: a road cache that is missing or corrupt, an OSRM server
    that timed out, refused the query or answered something that is not a Table API answer."""


class SolverError(SchedulerError):
    """The planning engine failed unexpectedly on input it accepted (a bug, not bad input);
    the message says what failed, the log has the traceback."""

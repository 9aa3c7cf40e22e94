"""Errors the scheduler raises on purpose.

Tree::

    SchedulerError              base; the API maps it to an HTTP status, the CLI to exit code 2
    ├── InvalidProblem          bad or contradictory input (422); names the field
    └── NotFound                an id that does not exist (404)
"""

from __future__ import annotations

__all__ = ["InvalidProblem", "NotFound", "SchedulerError"]


class SchedulerError(Exception):
    """Base of every error the scheduler raises on purpose."""


class InvalidProblem(SchedulerError):
    """Input that cannot be planned; ``problems`` lists ``(field, message)`` pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{field}: {message}" for field, message in problems))


class NotFound(SchedulerError):
    """An id that does not exist."""

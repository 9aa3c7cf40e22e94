"""Service settings (environment variables with the ``SCHEDULER_`` prefix, or a ``.env`` file).

``SCHEDULER_DATABASE_URL`` selects PostgreSQL instead of the embedded SQLite file;
``SCHEDULER_BROKER_URL`` selects Celery on Redis instead of the in-process job runner.
``SCHEDULER_ROADS_CACHE`` (a road graph from ``scheduler roads build``) or ``SCHEDULER_OSRM_URL``
(an OSRM server) replace the offline travel-time estimate, for the job workers and the API's
checks alike; ``SCHEDULER_SOLVE_WORKERS`` is the processes one solve uses, and
``SCHEDULER_SOLVE_OFFLOAD=celery`` sends its window regions to the Celery workers.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from scheduler.errors import InvalidProblem

__all__ = ["Settings", "get_settings"]


class Settings(BaseSettings):
    """Everything the service reads from its environment; every field has a safe default."""

    model_config = SettingsConfigDict(env_prefix="SCHEDULER_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default=Path("var"), description="SQLite file and the secret key.")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; unset: sqlite file under data_dir."
    )
    broker_url: str | None = Field(
        default=None, description="Celery broker (redis://...); unset: in-process jobs."
    )
    secret_key: SecretStr | None = Field(
        default=None, description="Signs session tokens; unset: generated once into data_dir."
    )
    token_ttl_min: int = Field(default=12 * 60, gt=0, description="Login token lifetime.")
    login_max_failures: int = Field(default=5, gt=0)
    login_window_s: int = Field(default=300, gt=0)
    solve_time_limit_s: float = Field(default=30.0, gt=0, le=3600)
    job_workers: int = Field(default=1, ge=1, le=8, description="Solver processes (in-process).")
    solve_workers: int = Field(
        default=2,
        ge=1,
        le=64,
        description="Processes (cores) one solve uses; a job takes this many cores.",
    )
    solve_offload: Literal["fork", "celery"] = Field(
        default="fork",
        description="Where a solve's window regions run beside it: a forked child (fork) "
        "or the Celery workers on the queue scheduler.subproblems (celery; needs broker_url).",
    )
    published_ttl_s: float = Field(
        default=1.0,
        ge=0,
        le=60,
        description="How long a server process trusts its list of published versions.",
    )
    tile_url: str = Field(
        default="", description="Map tile URL template for the web UI; empty: okrug base map."
    )
    roads_cache: Path | None = Field(
        default=None,
        description="Road graph cache from 'scheduler roads build'; unset: offline estimates.",
    )
    osrm_url: str | None = Field(
        default=None,
        description="OSRM server for driving times (Table API), e.g. http://osrm:5000.",
    )
    auto_replan: bool = Field(
        default=True,
        description="Re-plan and publish the day when a driver reports a delay, a breakdown, "
        "a venue they cannot reach or a late arrival.",
    )

    @field_validator("osrm_url")
    @classmethod
    def _osrm_url_is_http(cls, url: str | None) -> str | None:
        if not url:
            return None
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"'{url}' is not an http(s) URL such as http://osrm:5000")
        return url

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to ``sqlite:///<data_dir>/scheduler.db``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'scheduler.db').resolve()}"

    def resolved_secret_key(self) -> str:
        """The secret key from the settings, or one generated once and kept in data_dir."""
        if self.secret_key is not None and self.secret_key.get_secret_value():
            return self.secret_key.get_secret_value()
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text(encoding="utf-8").strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key + "\n", encoding="utf-8")
        path.chmod(0o600)
        return key


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment; ``InvalidProblem``
    naming each bad variable (``SCHEDULER_...``) if one does not validate."""
    try:
        return Settings()
    except ValidationError as error:
        raise InvalidProblem(
            [
                ("SCHEDULER_" + "_".join(str(part) for part in item["loc"]).upper(), item["msg"])
                for item in error.errors()
            ]
        ) from None

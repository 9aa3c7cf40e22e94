"""``OsrmTravelTimes``: driving times from an OSRM server's Table API, for teams that run OSRM.

Blocks of places are asked in batches of at most ``batch_size`` sources by ``batch_size``
destinations (``GET /table/v1/{profile}/{lon,lat;...}?sources=..&destinations=..&annotations=
duration,distance``). OSRM's durations are free flow; the hour-of-day factors of the offline
provider go on top (``CachedTravelTimes``). A request that times out, fails to connect or gets
a 5xx or 429 is tried again after ``backoff_s``, doubled each time, ``retries`` times; what
still fails, and any answer that is not a Table API answer of the asked shape (not JSON,
``code`` other than ``Ok``, wrong sizes, a null or negative duration, which OSRM gives for a
pair it cannot route), raises ``TravelError``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import httpx
import numpy as np

from scheduler.domain import Location
from scheduler.errors import TravelError
from scheduler.roads.cached import CachedTravelTimes
from scheduler.travel import MOSCOW_SPEED_FACTORS

__all__ = ["OsrmTravelTimes"]

_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class OsrmTravelTimes(CachedTravelTimes):
    """Times and distances from the OSRM Table API at ``base_url`` (e.g.
    ``http://osrm:5000``), with the Moscow hour-of-day factors."""

    def __init__(
        self,
        base_url: str,
        *,
        profile: str = "driving",
        batch_size: int = 100,
        timeout_s: float = 30.0,
        retries: int = 2,
        backoff_s: float = 0.5,
        speed_factors: Sequence[float] = MOSCOW_SPEED_FACTORS,
        client: httpx.Client | None = None,
    ) -> None:
        super().__init__(speed_factors)
        if batch_size < 1 or timeout_s <= 0 or retries < 0 or backoff_s < 0:
            raise ValueError("batch_size >= 1, timeout_s > 0, retries >= 0, backoff_s >= 0")
        self.base_url = base_url.rstrip("/")
        self.profile = profile
        self.batch_size = batch_size
        self.retries = retries
        self.backoff_s = backoff_s
        self._client = client or httpx.Client(timeout=timeout_s)
        self._metres_of: dict[tuple[Location, Location], float] = {}

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()

    def _free_flow_s(
        self, origins: Sequence[Location], destinations: Sequence[Location]
    ) -> np.ndarray:
        seconds = np.empty((len(origins), len(destinations)))
        step = self.batch_size
        for row in range(0, len(origins), step):
            for column in range(0, len(destinations), step):
                sources = origins[row : row + step]
                targets = destinations[column : column + step]
                durations, distances = self._table(sources, targets)
                seconds[row : row + len(sources), column : column + len(targets)] = durations
                for i, origin in enumerate(sources):
                    for j, destination in enumerate(targets):
                        self._metres_of[origin, destination] = float(distances[i, j])
        return seconds

    def _metres(self, origin: Location, destination: Location) -> float:
        found = self._metres_of.get((origin, destination))
        if found is None:
            self._free_flow_s([origin], [destination])
            found = self._metres_of[origin, destination]
        return found

    def _table(
        self, sources: Sequence[Location], targets: Sequence[Location]
    ) -> tuple[np.ndarray, np.ndarray]:
        """One Table API request: free-flow seconds and metres, sources x targets."""
        places = [*sources, *targets]
        coordinates = ";".join(f"{p.lon:.6f},{p.lat:.6f}" for p in places)
        url = f"{self.base_url}/table/v1/{self.profile}/{coordinates}"
        params = {
            "sources": ";".join(str(i) for i in range(len(sources))),
            "destinations": ";".join(str(len(sources) + j) for j in range(len(targets))),
            "annotations": "duration,distance",
        }
        answer = self._get(url, params)
        shape = (len(sources), len(targets))
        return _matrix(answer, "durations", shape, self.base_url), _matrix(
            answer, "distances", shape, self.base_url
        )

    def _get(self, url: str, params: dict[str, str]) -> dict[str, Any]:
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                response = self._client.get(url, params=params)
            except httpx.TimeoutException as exc:
                if last:
                    raise TravelError(
                        f"OSRM at {self.base_url} did not answer in time "
                        f"({self.retries + 1} tries): {type(exc).__name__}"
                    ) from exc
            except httpx.HTTPError as exc:
                if last:
                    raise TravelError(
                        f"OSRM at {self.base_url} cannot be reached "
                        f"({self.retries + 1} tries): {exc}"
                    ) from exc
            else:
                if response.status_code not in _RETRY_STATUSES or last:
                    return _answer(response, self.base_url)
            time.sleep(self.backoff_s * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover


def _answer(response: httpx.Response, base_url: str) -> dict[str, Any]:
    """The JSON body of a Table API answer with ``code`` ``Ok``, or ``TravelError``."""
    try:
        body = response.json()
    except ValueError:
        raise TravelError(
            f"OSRM at {base_url} answered HTTP {response.status_code} with something that is "
            f"not JSON: {response.text[:120]!r}"
        ) from None
    if not isinstance(body, dict):
        raise TravelError(f"OSRM at {base_url} answered JSON that is not an object")
    if body.get("code") != "Ok":
        raise TravelError(
            f"OSRM at {base_url} refused the table query (HTTP {response.status_code}, "
            f"code {body.get('code')!r}): {body.get('message', 'no message')}"
        )
    return body


def _matrix(body: dict[str, Any], key: str, shape: tuple[int, int], base_url: str) -> np.ndarray:
    """``body[key]`` as a float matrix of ``shape`` with no null or negative entry."""
    rows = body.get(key)
    if (
        not isinstance(rows, list)
        or len(rows) != shape[0]
        or not all(isinstance(row, list) and len(row) == shape[1] for row in rows)
    ):
        raise TravelError(f"OSRM at {base_url}: '{key}' is not a {shape[0]} x {shape[1]} table")
    values = [value for row in rows for value in row]
    if not all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and v >= 0
        for v in values
    ):
        raise TravelError(
            f"OSRM at {base_url}: '{key}' holds a null, negative or non-numeric entry (a pair "
            "OSRM cannot route: check that every place lies inside the server's extract)"
        )
    return np.array(values, dtype=np.float64).reshape(shape)

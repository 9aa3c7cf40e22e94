"""A drivable road graph in compressed sparse row form, and its compact cache file.

The cache is a numpy ``.npz`` archive (compressed, no pickles): node coordinates, a flag for
the nodes of the largest strongly connected component, the CSR arrays of directed edges
(``indptr``, ``indices``) with free-flow ``seconds`` and ``metres`` per edge, and ``meta``, a
JSON text with the source file and the build settings and counts.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix

from scheduler.errors import TravelError

__all__ = ["CACHE_FORMAT", "RoadGraph"]

CACHE_FORMAT = 1
"""Version of the cache layout; a cache of another version is refused."""

_ARRAYS = ("lat", "lon", "main", "indptr", "indices", "seconds", "metres")


@dataclass(frozen=True, eq=False)
class RoadGraph:
    """Directed road graph: node ``i`` at (``lat[i]``, ``lon[i]``); the edges leaving it are
    ``indices[indptr[i]:indptr[i + 1]]`` with their free-flow ``seconds`` and ``metres``."""

    lat: np.ndarray
    lon: np.ndarray
    main: np.ndarray
    """True for the nodes of the largest strongly connected component."""
    indptr: np.ndarray
    indices: np.ndarray
    seconds: np.ndarray
    metres: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def node_count(self) -> int:
        """Nodes in the graph."""
        return int(self.lat.shape[0])

    @property
    def edge_count(self) -> int:
        """Directed edges in the graph."""
        return int(self.indices.shape[0])

    def seconds_matrix(self) -> csr_matrix:
        """The graph as a sparse matrix of free-flow seconds (for ``scipy.sparse.csgraph``)."""
        n = self.node_count
        return csr_matrix((self.seconds, self.indices, self.indptr), shape=(n, n))

    def save(self, path: Path) -> None:
        """Write the compact cache (``.npz``); raises ``TravelError`` if it cannot."""
        meta = json.dumps({"format": CACHE_FORMAT, **self.meta}, ensure_ascii=False)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as out:
                np.savez_compressed(
                    out, **{name: getattr(self, name) for name in _ARRAYS}, meta=np.array(meta)
                )
        except OSError as exc:
            raise TravelError(f"road cache {path}: cannot write ({exc})") from exc

    @staticmethod
    def load(path: Path) -> RoadGraph:
        """Read and check a cache written by ``save``; raises ``TravelError`` when the file is
        missing, unreadable, of another format or inconsistent."""
        if not path.is_file():
            raise TravelError(f"road cache {path}: no such file (build it with 'roads build')")
        try:
            with path.open("rb") as handle, np.load(handle, allow_pickle=False) as archive:
                missing = [n for n in (*_ARRAYS, "meta") if n not in archive.files]
                if missing:
                    raise TravelError(f"road cache {path}: missing {', '.join(missing)}")
                arrays = {name: archive[name] for name in _ARRAYS}
                meta = json.loads(str(archive["meta"]))
        except TravelError:
            raise
        except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:
            raise TravelError(f"road cache {path}: not a road cache ({exc})") from exc
        if not isinstance(meta, dict) or meta.get("format") != CACHE_FORMAT:
            raise TravelError(
                f"road cache {path}: format {meta.get('format') if isinstance(meta, dict) else '?'}"
                f", expected {CACHE_FORMAT}; rebuild it with 'roads build'"
            )
        graph = RoadGraph(**arrays, meta=meta)
        problem = graph.inconsistency()
        if problem:
            raise TravelError(f"road cache {path}: corrupt ({problem})")
        return graph

    def inconsistency(self) -> str | None:
        """What is wrong with the arrays, or None when they form a valid graph."""
        n, e = self.lat.shape[0], self.indices.shape[0]
        shapes = {
            "lon": (self.lon, n),
            "main": (self.main, n),
            "indptr": (self.indptr, n + 1),
            "seconds": (self.seconds, e),
            "metres": (self.metres, e),
        }
        for name, (array, length) in shapes.items():
            if array.ndim != 1 or array.shape[0] != length:
                return f"{name} has shape {array.shape}, expected ({length},)"
        if n == 0 or e == 0:
            return "no roads"
        if self.indptr[0] != 0 or self.indptr[-1] != e or np.any(np.diff(self.indptr) < 0):
            return "edge offsets out of order"
        if self.indices.min() < 0 or self.indices.max() >= n:
            return "an edge points to no node"
        if not (np.all(np.isfinite(self.seconds)) and self.seconds.min() > 0):
            return "an edge time is not a positive number"
        if not (np.all(np.isfinite(self.metres)) and self.metres.min() >= 0):
            return "an edge length is not a number"
        if not (np.all(np.abs(self.lat) <= 90) and np.all(np.abs(self.lon) <= 180)):
            return "a node lies outside the globe"
        if not self.main.any():
            return "no connected component"
        return None

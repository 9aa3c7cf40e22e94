"""Public routing benchmarks (Solomon VRPTW, TOPTW) solved through the shared routing core.

Data flow: ``instances`` (read files, best-known values) -> ``adapter`` (``Instance`` ->
``CoreProblem``, ``CoreSolution`` -> customer ids) -> ``scheduler.solver.core.solve_core`` ->
``check`` (independent re-check, solution files) -> ``run`` (rows, gaps, CSV). The CLI reaches
it through ``scheduler.planning.benchmark``.
"""

from __future__ import annotations

__all__: list[str] = []

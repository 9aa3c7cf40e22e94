"""Kinotruck Scheduler: plans where Moscow's mobile cinema trucks go and what they screen.

The public face: ``solve`` (``scheduler.solver``), ``verify`` (``scheduler.checks``), the
scenario and plan file formats (``scheduler.schemas``) and the domain model
(``scheduler.domain``).
"""

__version__ = "0.1.0"

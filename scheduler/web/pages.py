"""The web pages: the planner's workspace, the driver's phone view and the public schedule.

Pages are HTML shells with small JavaScript modules that call the same REST API as any
script (``/api/...``); nothing here touches the database. Static files, the okrug base map
and the vendored libraries (``static/vendor``, copied from npm at build) are served by us:
no CDN.
"""

from __future__ import annotations

from pathlib import Path

import jinja2
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from scheduler.config import Settings

__all__ = ["STATIC", "mount_static", "router"]

WEB = Path(__file__).resolve().parent
STATIC = WEB / "static"
TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(WEB / "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
)

router = APIRouter(include_in_schema=False)


def _page(request: Request, name: str) -> HTMLResponse:
    settings: Settings = request.app.state.settings
    html = TEMPLATES.get_template(name).render(tile_url=settings.tile_url)
    return HTMLResponse(html, headers={"Cache-Control": "no-cache"})


@router.get("/")
def home() -> RedirectResponse:
    """The planner's workspace is the front door."""
    return RedirectResponse("/planner", status_code=307)


@router.get("/planner")
def planner(request: Request) -> HTMLResponse:
    """The planner's workspace (desktop); it shows the login form until logged in."""
    return _page(request, "planner.html")


@router.get("/driver")
def driver(request: Request) -> HTMLResponse:
    """The driver's day on a phone."""
    return _page(request, "driver.html")


@router.get("/schedule")
def schedule(request: Request) -> HTMLResponse:
    """The public schedule: where the kinotruck is this week."""
    return _page(request, "schedule.html")


@router.get("/driver-sw.js")
def driver_service_worker() -> Response:
    """The driver view's service worker, served from the root so it may control /driver."""
    return FileResponse(
        STATIC / "js" / "driver" / "sw.js",
        media_type="text/javascript",
        headers={"Service-Worker-Allowed": "/", "Cache-Control": "no-cache"},
    )


@router.get("/favicon.ico")
def favicon() -> Response:
    """The app icon (SVG)."""
    return FileResponse(STATIC / "icons" / "icon.svg", media_type="image/svg+xml")


@router.get("/manifest.webmanifest")
def manifest() -> Response:
    """The web app manifest: the driver view installs as an app."""
    return FileResponse(STATIC / "manifest.webmanifest", media_type="application/manifest+json")


def mount_static(app: FastAPI) -> None:
    """Serve ``/static`` (our scripts, styles, icons, the okrug map, vendored libraries)."""
    app.mount("/static", StaticFiles(directory=STATIC, check_dir=False), name="static")

"""The driver's phone view in Chromium: today's stops, taps that survive going offline and
reach the server exactly once and in order, the offline reload from the service worker, the
language switch, navigation links, the run sheet and the "route changed" notice."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from scheduler.bootstrap import DEMO_USERS
from scheduler.db.tables import DriverEvent

from conftest import BrowserPage, LiveServer

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DRIVER = "driver1"
TRUCK = "projector-1"
PASSWORD = next(u.password for u in DEMO_USERS if u.name == DRIVER)
DEMO_DAYS = ("2026-07-01", "2026-07-02", "2026-07-03")
OFFLINE_NOISE = ("requestfailed:", "Failed to load resource")
REQUEUE_ALL = """async () => {
  const db = await new Promise((ok) => {
    indexedDB.open("kt-driver").onsuccess = (e) => ok(e.target.result);
  });
  const store = db.transaction("outbox", "readwrite").objectStore("outbox");
  const all = await new Promise((ok) => { store.getAll().onsuccess = (e) => ok(e.target.result); });
  await Promise.all(all.map((entry) => new Promise((ok) => {
    store.put({ ...entry, status: "pending" }).onsuccess = ok;
  })));
  db.close();
}"""


def _route_day(live_server: LiveServer) -> dict[str, Any]:
    """The first demo day on which driver1's truck has stops (the solver decides which)."""
    with httpx.Client(base_url=live_server.url) as http:
        token = http.post("/api/auth/token", data={"username": DRIVER, "password": PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        for day in DEMO_DAYS:
            found: dict[str, Any] = http.get(
                "/api/driver/today", params={"date": day}, headers=headers
            ).json()
            if found["stops"]:
                return found
    raise AssertionError(f"{TRUCK} has no stops on the demo days")


def _open_day(open_page: Any, live_server: LiveServer, day: dict[str, Any]) -> BrowserPage:
    """A phone whose clock reads a few minutes past the first arrival; driver1 logged in on
    the route's day, with the service worker in control."""
    wrapped: BrowserPage = open_page(viewport=PHONE)
    page = wrapped.page
    arrival = datetime.fromisoformat(day["stops"][0]["arrival"])
    page.clock.install(time=arrival + timedelta(minutes=8))
    page.goto(f"{live_server.url}/driver?date={day['date']}")
    page.fill("#kt-login-name", DRIVER)
    page.fill("#kt-login-password", PASSWORD)
    page.locator(".kt-login button[type=submit]").click()
    page.locator(".kt-stop").first.wait_for()
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.wait_for_load_state("networkidle")
    return wrapped


@contextmanager
def _offline(wrapped: BrowserPage) -> Iterator[None]:
    """The phone without a connection; the failed requests this causes are expected and
    removed from the page's error list (only those made while offline)."""
    start = len(wrapped.errors)
    wrapped.page.context.set_offline(True)
    try:
        yield
    finally:
        wrapped.page.context.set_offline(False)
        during = wrapped.errors[start:]
        del wrapped.errors[start:]
        wrapped.errors.extend(e for e in during if not any(n in e for n in OFFLINE_NOISE))


def _server_events(live_server: LiveServer) -> list[DriverEvent]:
    with live_server.database.session() as session:
        rows = session.scalars(
            select(DriverEvent).where(DriverEvent.truck_id == TRUCK).order_by(DriverEvent.id)
        )
        return list(rows)


def _wait_for(page: Any, check: Any, timeout_s: float = 10) -> None:
    """Poll check() while the page keeps running (and delivering its events)."""
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        page.wait_for_timeout(100)


def test_taps_offline_reach_the_server_once_in_order(
    live_server: LiveServer, open_page: Any
) -> None:
    """Arrived online; setup done and started offline show at once with "2 waiting"; back
    online the server holds exactly those three events, once each, in order."""
    day = _route_day(live_server)
    wrapped = _open_day(open_page, live_server, day)
    page = wrapped.page
    first = page.locator(".kt-stop").first
    assert first.locator("h3").inner_text() == day["stops"][0]["name"]
    assert page.locator(".kt-stop").count() == len(day["stops"])
    first.locator("[data-kind=arrived]").click()
    page.locator(".kt-journal li[data-status=sent]").first.wait_for()
    assert page.locator("#kt-clock").get_attribute("data-tone") == "late"
    wrapped.screenshot("driver-today")

    with _offline(wrapped):
        page.locator("#kt-offline").wait_for()
        first.locator("[data-kind=setup_done]").click()
        first.locator("[data-kind=screening_started]").click()
        outbox = page.locator("#kt-outbox")
        expect(outbox).to_have_attribute("data-count", "2")
        expect(outbox).to_contain_text("2")
        expect(page.locator(".kt-journal li[data-status=pending]")).to_have_count(2)
        expect(first.locator(".kt-mark.kt-pending")).to_have_count(2)
        assert len(_server_events(live_server)) == 1
        wrapped.screenshot("driver-offline")

    page.wait_for_selector("#kt-outbox", state="hidden")
    _wait_for(page, lambda: len(_server_events(live_server)) == 3)
    stored = _server_events(live_server)
    assert [e.kind for e in stored] == ["arrived", "setup_done", "screening_started"]
    assert len({e.client_id for e in stored}) == 3
    assert all(e.venue_id == day["stops"][0]["venue_id"] for e in stored)
    assert stored[2].screening_index == 0
    expect(page.locator(".kt-journal li[data-status=sent]")).to_have_count(3)

    # As if every answer had been lost on the way: the phone replays all three with their ids.
    replies: list[int] = []
    page.on(
        "response",
        lambda r: replies.append(r.status) if r.request.method == "POST" else None,
    )
    page.evaluate(REQUEUE_ALL)
    page.locator("#kt-refresh").click()
    _wait_for(page, lambda: len(replies) == 3)
    assert replies == [200, 200, 200]  # "already have it": the first result, nothing stored
    expect(page.locator("#kt-outbox")).to_be_hidden()
    assert [e.client_id for e in _server_events(live_server)] == [e.client_id for e in stored]


def test_reload_offline_from_the_service_worker(live_server: LiveServer, open_page: Any) -> None:
    """After one online visit the view reloads offline from the service worker's cache and
    still shows the stops; a tap made offline survives the reload and is sent afterwards."""
    day = _route_day(live_server)
    wrapped = _open_day(open_page, live_server, day)
    page = wrapped.page
    with _offline(wrapped):
        page.locator(".kt-stop").first.locator("[data-kind=arrived]").click()
        page.reload()
        page.locator(".kt-stop").first.wait_for()
        assert page.locator(".kt-stop").count() == len(day["stops"])
        assert page.locator(".kt-cached").is_visible()
        expect(page.locator("#kt-outbox")).to_have_attribute("data-count", "1")
    page.wait_for_selector("#kt-outbox", state="hidden")
    _wait_for(page, lambda: [e.kind for e in _server_events(live_server)] == ["arrived"])


def test_language_navigation_and_run_sheet(live_server: LiveServer, open_page: Any) -> None:
    """The language switch changes the texts and keeps the day; the navigate button is a
    Yandex Navigator link with Yandex Maps and geo: beside it; the run sheet opens."""
    day = _route_day(live_server)
    wrapped = _open_day(open_page, live_server, day)
    page = wrapped.page
    stop = page.locator(".kt-stop").first
    assert stop.locator("[data-kind=arrived]").inner_text() == "Прибыл на место"
    page.locator("[data-lang-switch]").click()
    expect(stop.locator("[data-kind=arrived]")).to_have_text("Arrived")
    assert page.locator("#kt-runsheet").inner_text() == "Run sheet"
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.input_value("#kt-date") == day["date"]
    assert f"date={day['date']}" in page.url
    assert stop.locator("h3").inner_text() == day["stops"][0]["name"]
    page.locator("[data-lang-switch]").click()
    assert stop.locator("[data-kind=arrived]").inner_text() == "Прибыл на место"

    nav = day["stops"][0]["nav"]
    assert stop.locator("[data-nav=yandexnavi]").get_attribute("href") == nav["yandexnavi"]
    assert nav["yandexnavi"].startswith("yandexnavi://")
    assert stop.locator("[data-nav=yandex-maps]").get_attribute("href") == nav["yandex_maps"]
    assert stop.locator("[data-nav=geo]").get_attribute("href") == nav["geo"]
    for button in page.locator(".kt-btn:visible").all():
        box = button.bounding_box()
        assert box is not None and box["height"] >= 48, button.inner_text()

    with page.expect_popup() as popup_info:
        page.locator("#kt-runsheet").click()
    popup = popup_info.value
    popup.wait_for_url("blob:**")
    popup.wait_for_load_state()
    assert day["stops"][0]["name"] in popup.content()


def test_route_changed_notice(live_server: LiveServer, open_page: Any) -> None:
    """A day last seen in another plan version shows "route changed" at the next poll, with
    what changed (here: the first stop's arrival moved and a stop that is gone); the notice
    stays after a reload until the driver dismisses it."""
    day = _route_day(live_server)
    wrapped = _open_day(open_page, live_server, day)
    page = wrapped.page
    assert page.locator(".kt-changed").count() == 0
    key = f"kt.driver.seen.{DRIVER}.{day['date']}"
    seen = json.loads(page.evaluate(f"localStorage.getItem('{key}')"))
    old = seen["snapshot"]
    old["plan"]["version"] -= 1
    old["stops"][0]["arrival"] = "2026-07-01T18:00:00+03:00"
    old["stops"].append({**old["stops"][0], "venue_id": "gone", "name": "Старый парк"})
    page.evaluate(f"localStorage.setItem('{key}', {json.dumps(json.dumps(seen))})")
    page.clock.run_for(61_000)  # the next poll
    notice = page.locator(".kt-changed")
    notice.wait_for()
    text = notice.inner_text()
    assert "Маршрут изменён" in text
    assert "Старый парк" in text
    assert "18:00" in text
    page.reload()
    notice.wait_for()  # stays until the driver has read it
    notice.locator("button").click()
    assert notice.count() == 0


def test_delay_and_breakdown_on_a_small_phone(live_server: LiveServer, open_page: Any) -> None:
    """On a 360 px phone nothing overflows; "delayed" asks how late and posts delay_min,
    "breakdown" asks to confirm and posts the note."""
    day = _route_day(live_server)
    wrapped = _open_day(open_page, live_server, day)
    page = wrapped.page
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.locator("#kt-delay").click()
    page.get_by_role("button", name="15 мин").click()
    page.locator("#kt-breakdown").click()
    page.locator(".kt-dialog textarea").fill("Спустило колесо")
    page.locator(".kt-dialog .kt-danger").click()
    expect(page.locator(".kt-journal li[data-status=sent]")).to_have_count(2)
    expect(page.locator("#kt-clock")).to_have_attribute("data-tone", "late")
    expect(page.locator("#kt-clock")).to_contain_text("15 мин")
    _wait_for(page, lambda: len(_server_events(live_server)) == 2)
    delayed, breakdown = _server_events(live_server)
    assert (delayed.kind, delayed.delay_min) == ("delayed", 15)
    assert (breakdown.kind, breakdown.note) == ("breakdown", "Спустило колесо")


def test_login_errors_empty_day_and_manifest(live_server: LiveServer, open_page: Any) -> None:
    """A wrong password and a planner's login are refused with a message; a day without a
    route says so; the manifest makes the view installable with 192 and 512 px icons."""
    day = _route_day(live_server)
    before = (date.fromisoformat(day["date"]) - timedelta(days=1)).isoformat()
    wrapped: BrowserPage = open_page(viewport=PHONE)
    page = wrapped.page
    page.goto(f"{live_server.url}/driver?date={before}")
    page.fill("#kt-login-name", DRIVER)
    page.fill("#kt-login-password", "wrong-password")
    page.locator(".kt-login button[type=submit]").click()
    expect(page.locator(".kt-login .kt-error")).to_be_visible()
    page.fill("#kt-login-name", "planner")
    page.fill("#kt-login-password", next(u.password for u in DEMO_USERS if u.name == "planner"))
    page.locator(".kt-login button[type=submit]").click()
    expect(page.locator(".kt-login .kt-error")).to_contain_text("для водителей")
    wrapped.screenshot("driver-login")
    refused = [e for e in wrapped.errors if "status of 401" in e]
    assert len(refused) == 1  # the wrong password, expected
    wrapped.errors.remove(refused[0])

    page.fill("#kt-login-name", DRIVER)
    page.fill("#kt-login-password", PASSWORD)
    page.locator(".kt-login button[type=submit]").click()
    if before < DEMO_DAYS[0]:
        expect(page.locator(".kt-empty")).to_contain_text("опубликованного маршрута нет")
        wrapped.screenshot("driver-no-route")
    page.locator("#kt-next").click()
    expect(page.locator(".kt-stop").first).to_be_visible()
    assert f"date={day['date']}" in page.url

    manifest_href = page.locator("link[rel=manifest]").get_attribute("href")
    manifest = httpx.get(f"{live_server.url}{manifest_href}").json()
    assert (manifest["start_url"], manifest["display"]) == ("/driver", "standalone")
    sizes = set()
    for icon in manifest["icons"]:
        body = httpx.get(live_server.url + icon["src"]).content
        if icon["type"] == "image/png":
            assert body[:8] == b"\x89PNG\r\n\x1a\n"
            width, height = int.from_bytes(body[16:20]), int.from_bytes(body[20:24])
            assert icon["sizes"] == f"{width}x{height}"
            sizes.add(width)
    assert sizes == {192, 512}

"""The public schedule in Chromium, with no login: the week of the demo's published
screenings by day, the okrug filter, the map's markers and the iCal link."""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import expect

from conftest import LiveServer

pytestmark = pytest.mark.browser

WEEK = ("2026-06-29", "2026-07-05")


def _published(live_server: LiveServer, okrug: str | None = None) -> list[dict[str, Any]]:
    params = {"from": WEEK[0], "to": WEEK[1]} | ({"okrug": okrug} if okrug else {})
    response = httpx.get(f"{live_server.url}/api/public/screenings", params=params)
    assert response.status_code == 200
    shows: list[dict[str, Any]] = response.json()
    return shows


def test_week_by_day_okrug_filter_map_and_ical(live_server: LiveServer, open_page: Any) -> None:
    """Picking a day of the demo week shows its published screenings grouped by day; an
    okrug narrows them; the map draws one marker per venue over the okrugs; the iCal link
    follows the filter; the language switch keeps the week and filter."""
    everything = _published(live_server)
    assert everything, "the seeded plan publishes screenings in the demo week"
    wrapped = open_page(viewport={"width": 1366, "height": 900})
    page = wrapped.page
    page.goto(f"{live_server.url}/schedule")
    page.wait_for_load_state("networkidle")
    page.fill("#kt-week-date", "2026-07-01")
    expect(page.locator("#kt-week-range")).to_contain_text("29 июня")
    expect(page.locator(".kt-screening")).to_have_count(len(everything))
    days = page.locator(".kt-day")
    assert [days.nth(i).get_attribute("data-date") for i in range(days.count())] == sorted(
        {s["date"] for s in everything}
    )
    expect(page.locator(".kt-day h2").first).to_contain_text("июля")
    film = everything[0]["film_title"]
    expect(page.locator(".kt-day").first.locator(".kt-film").first).to_have_text(film)
    venues = {s["venue_id"] for s in everything}
    expect(page.locator("path.kt-venue-marker")).to_have_count(len(venues))
    assert page.locator("path.kt-okrug-area").count() == 12
    expect(page.locator(".leaflet-control-attribution")).to_contain_text("OpenStreetMap")
    assert page.locator("#kt-ical").get_attribute("href") == "/api/public/calendar.ics"
    assert "week=2026-06-29" in page.url
    wrapped.screenshot("schedule")

    okrug, count = Counter(s["okrug"] for s in everything).most_common()[-1]
    assert count < len(everything)
    page.select_option("#kt-okrug", okrug)
    expect(page.locator(".kt-screening")).to_have_count(count)
    assert (
        page.locator(".kt-okrug-group").evaluate_all("els => els.map(e => e.dataset.okrug)")
        == [okrug] * page.locator(".kt-okrug-group").count()
    )
    narrowed = {s["venue_id"] for s in _published(live_server, okrug)}
    expect(page.locator("path.kt-venue-marker")).to_have_count(len(narrowed))
    href = page.locator("#kt-ical").get_attribute("href")
    assert href is not None
    parts = urlsplit(href)
    assert parts.path == "/api/public/calendar.ics"
    assert parse_qs(parts.query) == {"okrug": [okrug]}
    feed = httpx.get(live_server.url + href)
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("text/calendar")

    page.locator("[data-lang-switch]").click()
    expect(page.locator("h1")).to_have_text("Kinotruck: open-air cinema")
    expect(page.locator(".kt-day h2").first).to_contain_text("July")
    expect(page.locator(".kt-screening")).to_have_count(count)
    assert page.input_value("#kt-okrug") == okrug


def test_empty_week_offers_the_next_screenings(live_server: LiveServer, open_page: Any) -> None:
    """A week without screenings says so and offers the week of the next ones."""
    wrapped = open_page(viewport={"width": 390, "height": 844})
    page = wrapped.page
    page.goto(f"{live_server.url}/schedule?week=2026-06-15")
    expect(page.locator(".kt-empty")).to_contain_text("На этой неделе показов нет")
    page.locator("#kt-next-shows").click()
    expect(page.locator("#kt-week-range")).to_contain_text("29 июня")
    expect(page.locator(".kt-screening")).to_have_count(len(_published(live_server)))
    page.evaluate("window.scrollTo(0, 0)")
    wrapped.screenshot("schedule-phone")

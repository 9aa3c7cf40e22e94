"""The planner's workspace in Chromium: sign-in and season, KPI cards of the published plan,
a solve job with its progress bar, a venue's field error, an import's row errors, the
language switch, and the versions tab (compare, open, publish)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect
from test_api_import import xlsx

from scheduler.bootstrap import DEMO_USERS

from conftest import BrowserPage, LiveServer

pytestmark = pytest.mark.browser

PASSWORD = {user.name: user.password for user in DEMO_USERS}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def api(live_server: LiveServer) -> Iterator[httpx.Client]:
    """An API client of the live server, signed in as the demo planner."""
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        response = client.post(
            "/api/auth/token", data={"username": "planner", "password": PASSWORD["planner"]}
        )
        response.raise_for_status()
        client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
        yield client


def sign_in(server: LiveServer, open_page: Any, tab: str = "plan") -> BrowserPage:
    """Open the workspace on a tab and sign in as the demo planner."""
    wrapped: BrowserPage = open_page()
    page = wrapped.page
    page.goto(f"{server.url}/planner#{tab}")
    page.fill("#login-form input[name=username]", "planner")
    page.fill("#login-form input[name=password]", PASSWORD["planner"])
    page.click("#login-form button[type=submit]")
    expect(page.locator("#workspace")).to_be_visible()
    expect(page.locator("#user-name")).to_contain_text("planner")
    return wrapped


def expect_refused(wrapped: BrowserPage, status: int) -> None:
    """Chromium logs an API answer of `status` that the page shows on purpose: assert it
    once and drop it from the errors the fixture fails on."""
    line = f"the server responded with a status of {status}"
    refused = [error for error in wrapped.errors if line in error]
    assert len(refused) == 1, wrapped.errors
    wrapped.errors.remove(refused[0])


def kpi(page: Page, key: str) -> float:
    return float(
        page.locator(f'[data-kpi="{key}"] .kpi-value').get_attribute("data-value") or "nan"
    )


def test_published_plan_shows_kpis_of_the_api(
    live_server: LiveServer, open_page: Any, api: httpx.Client
) -> None:
    """After sign-in the seeded season is chosen and its published version is shown: the
    KPI cards carry the numbers of GET /api/plans/{id}, with the map, the unserved list and
    the timeline in their sections."""
    plan = api.get(f"/api/plans/{live_server.seeded.plan_id}").json()
    wrapped = sign_in(live_server, open_page)
    page = wrapped.page
    season = page.locator("#season-select option:checked")
    expect(season).to_have_attribute("value", str(live_server.seeded.season_id))
    version = page.locator("#plan-version")
    expect(version).to_have_attribute("data-plan-id", str(plan["id"]))
    expect(page.locator(".plan-bar .badge-published")).to_be_visible()
    kpis = plan["kpis"]
    for key in ("screenings", "expected_audience", "venues_served", "okrugs_covered"):
        assert kpi(page, key) == kpis[key], key
    assert kpi(page, "driving_h") == pytest.approx(kpis["driving_h"])
    expect(page.locator('[data-kpi="utilisation"] li')).to_have_count(len(kpis["utilisation"]))
    expect(page.locator('[data-kpi="screenings"] .kpi-value')).to_have_text(str(kpis["screenings"]))
    for section in ("map", "unserved", "timeline"):
        expect(page.locator(f"section#{section}")).to_be_visible()
    page.wait_for_load_state("networkidle")
    wrapped.screenshot("planner-plan")


def test_plan_button_follows_the_job_to_a_new_version(
    live_server: LiveServer, open_page: Any, api: httpx.Client
) -> None:
    """ "Plan" with a 3 s limit shows the progress bar and, when the job is done, the new
    version becomes the shown one (the season's latest)."""
    wrapped = sign_in(live_server, open_page)
    page = wrapped.page
    expect(page.locator("#plan-version")).to_have_attribute(
        "data-plan-id", str(live_server.seeded.plan_id)
    )
    page.fill("#time-limit", "3")
    page.click("#plan-start")
    expect(page.locator("#job-progress")).to_be_visible()
    expect(page.locator("#plan-start")).to_be_disabled()
    expect(page.locator("#plan-version")).not_to_have_attribute(
        "data-plan-id", str(live_server.seeded.plan_id), timeout=60_000
    )
    season = api.get(f"/api/seasons/{live_server.seeded.season_id}").json()
    expect(page.locator("#plan-version")).to_have_attribute(
        "data-plan-id", str(season["latest_plan_id"])
    )
    expect(page.locator("#job-progress")).to_have_count(0)
    expect(page.locator("#plan-start")).to_be_enabled()
    expect(page.locator('[data-kpi="screenings"]')).to_be_visible()


def test_bad_latitude_shows_beside_the_field_and_saves_nothing(
    live_server: LiveServer, open_page: Any, api: httpx.Client
) -> None:
    """Editing a venue with latitude 95.2: the API's 422 appears beside the latitude field,
    the dialog stays open, and the stored venue is unchanged."""
    before = api.get("/api/venues/1").json()
    wrapped = sign_in(live_server, open_page, "venues")
    page = wrapped.page
    rows = page.locator("table.data tbody tr")
    expect(rows).to_have_count(len(api.get("/api/venues?season_id=1&limit=1000").json()))
    page.fill("input.search", before["name"])
    expect(rows).to_have_count(1)
    page.fill("input.search", "")
    page.wait_for_load_state("networkidle")
    wrapped.screenshot("planner-venues")
    page.click('tr[data-id="1"] button.icon-edit')
    dialog = page.locator("dialog.dialog")
    dialog.locator('.field[data-field="lat"] input').fill("95.2")
    dialog.locator("button[type=submit]").click()
    error = dialog.locator('.field[data-field="lat"] .field-error')
    expect(error).to_be_visible()
    expect(error).to_contain_text("90")
    expect(dialog.locator('.field[data-field="lon"] .field-error')).to_be_hidden()
    wrapped.screenshot("planner-venue-error")
    expect_refused(wrapped, 422)
    assert api.get("/api/venues/1").json() == before
    dialog.locator("button", has_text="Отмена").click()
    expect(dialog).to_have_count(0)


def test_import_lists_every_row_error(
    live_server: LiveServer, open_page: Any, api: httpx.Client
) -> None:
    """A workbook with a bad latitude in row 3 is refused: the row error is listed as the
    API words it and no venue is stored."""
    count = len(api.get("/api/venues?limit=1000").json())
    data = xlsx(
        {
            "venues": [
                ["id", "name", "okrug", "lat", "lon", "audience_seats"],
                ["ui-1", "Сквер у пруда", "САО", 55.85, 37.55, 150],
                ["ui-2", "Парк у реки", "ЮАО", 95.2, 37.66, 300],
            ]
        }
    )
    wrapped = sign_in(live_server, open_page, "import")
    page = wrapped.page
    page.set_input_files(
        "input[name=workbook]", files=[{"name": "venues.xlsx", "mimeType": XLSX, "buffer": data}]
    )
    expect(page.locator(".field[data-field=workbook] .file-name")).to_have_text("venues.xlsx")
    page.click(".import-form button[type=submit]")
    errors = page.locator(".import-errors li")
    expect(errors).to_have_count(1)
    expect(errors.first).to_contain_text("venues row 3, column lat: 95.2 is outside -90..90")
    wrapped.screenshot("planner-import")
    expect_refused(wrapped, 422)
    assert len(api.get("/api/venues?limit=1000").json()) == count


def test_language_switch_keeps_the_tab(live_server: LiveServer, open_page: Any) -> None:
    """The switch turns the workspace English and back while the trucks tab stays open."""
    wrapped = sign_in(live_server, open_page, "trucks")
    page = wrapped.page
    tab = page.locator('[data-tab="trucks"]')
    heading = page.locator('.view[data-view="trucks"] h2')
    expect(heading).to_have_text("Машины")
    expect(page.locator('.view[data-view="trucks"] tbody tr').first).to_be_visible()
    page.click("[data-lang-switch]")
    expect(heading).to_have_text("Trucks")
    expect(tab).to_have_text("Trucks")
    expect(tab).to_have_attribute("aria-selected", "true")
    expect(page.locator('.view[data-view="trucks"] thead')).to_contain_text("Name")
    expect(page.locator('[data-tab="plan"]')).to_have_text("Plan")
    assert page.url.endswith("#trucks")
    page.click("[data-lang-switch]")
    expect(heading).to_have_text("Машины")
    expect(tab).to_have_attribute("aria-selected", "true")


def test_versions_compare_open_and_publish(
    live_server: LiveServer, open_page: Any, api: httpx.Client
) -> None:
    """With a second version (a rollback copy), the versions tab lists both, compares them
    side by side, opens the copy in the plan view, and publishes it."""
    copy = api.post(f"/api/plans/{live_server.seeded.plan_id}/rollback").json()
    wrapped = sign_in(live_server, open_page, "versions")
    page = wrapped.page
    rows = page.locator('.view[data-view="versions"] tbody tr')
    expect(rows).to_have_count(2)
    page.select_option("#compare-a", str(live_server.seeded.plan_id))
    page.select_option("#compare-b", str(copy["id"]))
    page.click("#compare")
    comparison = page.locator("#comparison")
    expect(comparison).to_be_visible()
    expect(comparison.locator(".compare-table tbody tr").first).to_contain_text("Показы")
    expect(comparison.locator("[data-change]")).to_have_count(4)
    wrapped.screenshot("planner-versions")
    page.click(f'tr[data-plan-id="{copy["id"]}"] button:has-text("Открыть")')
    expect(page.locator("#plan-version")).to_have_attribute("data-plan-id", str(copy["id"]))
    expect(page.locator('[data-tab="plan"]')).to_have_attribute("aria-selected", "true")
    page.click("#publish")
    expect(page.locator(".plan-bar .badge-published")).to_be_visible()
    expect(page.locator("#publish")).to_be_disabled()
    season = api.get(f"/api/seasons/{live_server.seeded.season_id}").json()
    assert season["published_plan_id"] == copy["id"]

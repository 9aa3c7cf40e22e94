"""The planner's plan views in a real browser: the map, the timeline and the unserved list
draw the plan; a stop is locked, another moved to a new day with the validator's verdict, a
move that breaks the silence limit is refused, and a re-plan keeps the locked stop exactly."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from conftest import LiveServer

pytestmark = pytest.mark.browser

DRAWN = "#timeline[data-plan-id] .tl-lane"
VERDICT_DONE = ":is([data-state='valid'], [data-state='invalid'])"


@pytest.fixture
def api(live_server: LiveServer) -> Iterator[httpx.Client]:
    """The REST API as the demo planner."""
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        response = client.post(
            "/api/auth/token", data={"username": "planner", "password": "planner-demo-2026"}
        )
        assert response.status_code == 200, response.text
        client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
        yield client


def _plan(api: httpx.Client, plan_id: int) -> dict[str, Any]:
    response = api.get(f"/api/plans/{plan_id}")
    assert response.status_code == 200, response.text
    plan: dict[str, Any] = response.json()
    return plan


def _versions(api: httpx.Client, season_id: int) -> list[int]:
    response = api.get("/api/plans", params={"season_id": season_id})
    assert response.status_code == 200, response.text
    return [v["id"] for v in response.json()]


def _log_in(page: Any, url: str) -> None:
    """Sign in through the workspace's form and wait for the plan views."""
    page.goto(url + "/planner")
    page.fill("#login-form input[name=username]", "planner")
    page.fill("#login-form input[name=password]", "planner-demo-2026")
    page.click("#login-form button[type=submit]")
    page.wait_for_selector(DRAWN)
    page.wait_for_selector("#map[data-plan-id] path.kt-route")


def _shown(page: Any) -> int:
    return int(page.get_attribute("#timeline", "data-plan-id"))


def _lane(page: Any, truck_id: str, day: str) -> Any:
    return page.locator(f"#timeline .tl-lane[data-truck='{truck_id}'][data-day='{day}']")


def _stop(page: Any, truck_id: str, day: str, venue_id: str) -> Any:
    return _lane(page, truck_id, day).locator(f".tl-stop[data-venue='{venue_id}']")


def _menu(page: Any, truck_id: str, day: str, venue_id: str, action: str) -> None:
    _stop(page, truck_id, day, venue_id).locator(".pv-menu-button").click()
    page.locator(f".pv-menu:not([hidden]) [data-action='{action}']").click()


def _choose_move(page: Any, truck_id: str, day: str, position: int) -> Any:
    """Pick the target in the open "Move to…" dialog; return the verdict once it is in."""
    dialog = page.locator("dialog.pv-move")
    truck, when, place = (dialog.locator("select").nth(i) for i in range(3))
    truck.select_option(truck_id)
    when.select_option(day)
    place.select_option(str(position))
    verdict = dialog.locator(f".pv-verdict[data-for='{truck_id}/{day}/{position}']{VERDICT_DONE}")
    verdict.wait_for()
    return verdict


def _wait_for_new_version(page: Any, old: int, timeout_ms: int = 10_000) -> int:
    page.wait_for_function(
        "old => Number(document.querySelector('#timeline').dataset.planId) !== old",
        arg=old,
        timeout=timeout_ms,
    )
    page.wait_for_selector(DRAWN)
    return _shown(page)


def test_map_timeline_and_unserved_draw_the_plan(
    live_server: LiveServer, open_page: Any, api: httpx.Client
) -> None:
    """The map draws the okrug base layer with names and the attribution, one line per
    truck-day, served and unserved venues and the depot; the day filter narrows the lines;
    the timeline has one lane per truck-day with its screenings, dusk and silence markers;
    a drop on another lane gets the validator's verdict; the unserved list explains a venue
    with hints; a truck-day locks and unlocks from its lane; the language switch re-draws
    the views in English."""
    plan = _plan(api, live_server.seeded.plan_id)
    routes = [r for r in plan["routes"] if r["stops"]]
    wrapped = open_page(viewport={"width": 1440, "height": 1000})
    page = wrapped.page
    _log_in(page, live_server.url)

    page.locator("#map").scroll_into_view_if_needed()
    assert page.locator("#map path.kt-okrug").count() == 12
    assert page.locator("#map .kt-okrug-label", has_text="ЦАО").count() == 1
    assert "OpenStreetMap" in page.locator("#map .leaflet-control-attribution").inner_text()
    assert page.locator("#map path.kt-route").count() == len(routes)
    served = {s["venue_id"] for r in routes for s in r["stops"]}
    assert page.locator("#map path.kt-venue.served").count() == len(served)
    assert page.locator("#map path.kt-venue.unserved").count() == len(plan["unserved"])
    assert page.locator("#map .kt-depot").count() >= 1
    wrapped.screenshot("plan-map")
    day = routes[0]["day"]
    page.locator("#map select[name=map-day]").select_option(day)
    assert page.locator("#map path.kt-route").count() == sum(r["day"] == day for r in routes)
    page.locator("#map select[name=map-day]").select_option("")

    assert page.locator("#timeline .tl-lane[data-route='1']").count() == len(plan["routes"])
    for route in plan["routes"]:
        lane = _lane(page, route["truck_id"], route["day"])
        shows = sum(len(s["screenings"]) for s in route["stops"])
        assert lane.locator(".tl-screening").count() == shows
        assert lane.locator(".tl-silence").count() == 1
        assert lane.locator(".tl-dusk").count() == (1 if route["dusk"] else 0)

    source = next(r for r in routes if r["day"] == day)
    target = next(r for r in plan["routes"] if r["day"] == day and r is not source)
    _stop(page, source["truck_id"], day, source["stops"][0]["venue_id"]).drag_to(
        _lane(page, target["truck_id"], day).locator(".tl-track"), target_position={"x": 4, "y": 30}
    )
    verdict = page.locator(f"dialog.pv-move .pv-verdict{VERDICT_DONE}")
    verdict.wait_for()
    assert verdict.locator("p").first.inner_text().startswith(("✓", "✗"))
    page.locator("dialog.pv-move .pv-secondary").click()
    assert _versions(api, plan["season_id"]) == [plan["id"]]

    item = page.locator("#unserved .un-item").first
    item.click()
    entry = next(u for u in plan["unserved"] if u["venue_id"] == item.get_attribute("data-venue"))
    details = page.locator("#unserved .un-details")
    assert details.locator(".un-message").inner_text() == entry["message"]
    assert details.locator(".un-hints li").count() >= 1
    details.locator(".un-facts li").first.wait_for()
    page.locator("#unserved").scroll_into_view_if_needed()
    wrapped.screenshot("plan-unserved")

    lock = _lane(page, target["truck_id"], day).locator(".tl-label .pv-lock")
    lock.click()
    _lane(page, target["truck_id"], day).locator(
        ".tl-label .pv-lock[aria-pressed='true']"
    ).wait_for()
    routes_now = _plan(api, plan["id"])["routes"]
    assert next(r for r in routes_now if r["truck_id"] == target["truck_id"] and r["day"] == day)[
        "locked"
    ]
    _lane(page, target["truck_id"], day).locator(".tl-label .pv-lock").click()
    _lane(page, target["truck_id"], day).locator(
        ".tl-label .pv-lock[aria-pressed='false']"
    ).wait_for()

    page.locator("[data-lang-switch]").click()
    assert page.locator("#timeline h2").inner_text() == "Timeline by day"
    assert page.locator("#map h2").inner_text() == "Map"
    assert page.locator("#unserved h2").inner_text() == "Venues left out"
    attribution = page.locator("#map .leaflet-control-attribution").inner_text()
    assert "OpenStreetMap contributors" in attribution
    assert page.locator("#timeline .tl-lane[data-route='1']").count() == len(plan["routes"])


def _silence_move(api: httpx.Client, plan: dict[str, Any], avoid: tuple[str, str]) -> Any:
    """A move (from, to) whose dry run breaks the silence rule, away from the truck-day
    ``avoid`` (it holds the locked stop)."""
    routes = [r for r in plan["routes"] if (r["truck_id"], r["day"]) != avoid and not r["locked"]]
    for source in sorted(routes, key=lambda r: r["screen"] != "projector"):
        for stop in source["stops"]:
            for target in sorted(routes, key=lambda r: r["screen"] != "projector"):
                if (target["truck_id"], source["day"]) == avoid:
                    continue  # the dialog checks (to truck, from day) on the way
                same = target is source
                position = len(target["stops"]) - (1 if same else 0)
                if same and position == stop["position"]:
                    continue
                body = {
                    "truck_id": source["truck_id"],
                    "day": source["day"],
                    "venue_id": stop["venue_id"],
                    "to_truck_id": target["truck_id"],
                    "to_day": target["day"],
                    "to_position": position,
                    "dry_run": True,
                }
                response = api.post(f"/api/plans/{plan['id']}/moves", json=body)
                assert response.status_code == 200, response.text
                if any(v["rule"] == "silence" for v in response.json()["violations"]):
                    return body
    raise AssertionError("no move of the demo plan breaks the silence rule")


def test_lock_move_refusal_and_replan_keep_the_locked_stop(
    live_server: LiveServer, open_page: Any, api: httpx.Client
) -> None:
    """Lock a stop from its menu (shown, and locked in the API); move a stop of another
    truck to a new day from the menu (verdict, then saved: a new version with the stop on
    that day); a move past the silence limit is refused with the rule and stores nothing; a
    3-second re-plan keeping the locks leaves the locked stop exactly as it was."""
    plan = _plan(api, live_server.seeded.plan_id)
    season_id = plan["season_id"]
    wrapped = open_page(viewport={"width": 1440, "height": 1000})
    page = wrapped.page
    _log_in(page, live_server.url)

    held = next(r for r in plan["routes"] if r["stops"])
    kept = held["stops"][0]
    key = (held["truck_id"], held["day"])
    _menu(page, *key, kept["venue_id"], "lock")
    _stop(page, *key, kept["venue_id"]).locator(".pv-lock-icon.closed").wait_for()
    assert "locked" in (_stop(page, *key, kept["venue_id"]).get_attribute("class") or "")
    locked = next(r for r in _plan(api, plan["id"])["routes"] if (r["truck_id"], r["day"]) == key)
    assert locked["stops"][0]["locked"] is True

    mover = next(r for r in plan["routes"] if r["stops"] and r["truck_id"] != held["truck_id"])
    moved = mover["stops"][0]
    new_day = next(r["day"] for r in plan["routes"] if r["day"] != mover["day"])
    _menu(page, mover["truck_id"], mover["day"], moved["venue_id"], "move")
    verdict = _choose_move(page, mover["truck_id"], new_day, 0)
    valid = verdict.get_attribute("data-state") == "valid"
    page.locator("dialog.pv-move " + (".pv-confirm" if valid else ".pv-draft")).click()
    edited_id = _wait_for_new_version(page, plan["id"])
    edited = _plan(api, edited_id)
    assert edited["parent_id"] == plan["id"] and edited["draft"] is not valid
    target = next(
        r for r in edited["routes"] if (r["truck_id"], r["day"]) == (mover["truck_id"], new_day)
    )
    assert moved["venue_id"] in [s["venue_id"] for s in target["stops"]]
    _stop(page, mover["truck_id"], new_day, moved["venue_id"]).wait_for()
    _stop(page, *key, kept["venue_id"]).locator(".pv-lock-icon.closed").wait_for()

    move = _silence_move(api, edited, key)
    before = _versions(api, season_id)
    _menu(page, move["truck_id"], move["day"], move["venue_id"], "move")
    verdict = _choose_move(page, move["to_truck_id"], move["to_day"], move["to_position"])
    assert verdict.get_attribute("data-state") == "invalid"
    rule = verdict.locator("li[data-rule='silence']").first
    assert "тишина" in rule.inner_text() and "residential" in rule.inner_text()
    assert page.locator("dialog.pv-move .pv-confirm").count() == 0
    wrapped.screenshot("plan-move-refused")
    page.locator("dialog.pv-move .pv-secondary").click()
    assert _versions(api, season_id) == before

    page.fill("input[name=replan-seconds]", "3")
    page.locator("#timeline .pv-replan").click()
    replanned_id = _wait_for_new_version(page, edited_id, timeout_ms=40_000)
    replanned = _plan(api, replanned_id)
    assert replanned["kind"] == "solve" and replanned["parent_id"] == edited_id
    route = next(r for r in replanned["routes"] if (r["truck_id"], r["day"]) == key)
    again = next(s for s in route["stops"] if s["venue_id"] == kept["venue_id"])
    fields = ("arrival", "setup_end", "departure", "screenings", "locked")
    assert {f: again[f] for f in fields} == {f: kept[f] for f in fields} | {"locked": True}
    _stop(page, *key, kept["venue_id"]).locator(".pv-lock-icon.closed").wait_for()
    page.locator("#timeline").scroll_into_view_if_needed()
    wrapped.screenshot("plan-timeline")

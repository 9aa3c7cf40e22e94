"""The web pages are served by our own server with their scripts, styles and base map."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import LiveServer

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("path", ["/planner", "/driver", "/schedule"])
def test_pages_load_without_errors(live_server: LiveServer, open_page: Any, path: str) -> None:
    """Each page loads in Chromium with no JavaScript error and no failed request, and the
    language switch turns its title English."""
    wrapped = open_page()
    page = wrapped.page
    page.goto(live_server.url + path)
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").first.is_visible()
    page.locator("[data-lang-switch]").click()
    assert page.evaluate("document.documentElement.lang") == "en"

"""A person's path through BackFuture in a real browser: demo, tests, forms, every page."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from tests.e2e.conftest import ARTIFACTS

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e


def settle(page: Page) -> None:
    """Wait until the app is connected and its script has finished running."""
    page.locator("[data-testid='stApp'][data-test-connection-state='CONNECTED']").wait_for(
        state="attached"
    )
    page.wait_for_timeout(300)
    page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for(
        state="attached"
    )


def no_exception(page: Page, name: str) -> None:
    settle(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    assert page.get_by_test_id("stException").count() == 0, f"exception on {name}"


HEADINGS = {"Overview": "BackFuture"}  # the home page is titled with the product's name


def go(page: Page, title: str) -> None:
    page.get_by_role("link", name=title, exact=True).first.click()
    settle(page)
    page.get_by_role("heading", name=re.compile(HEADINGS.get(title, title))).first.wait_for()


def test_a_person_uses_backfuture(page: Page, app_url: str) -> None:
    page.goto(app_url)
    settle(page)
    no_exception(page, "01-overview-empty")

    # Demo mode from the empty Overview.
    page.get_by_role("button", name="Start demo").click()
    settle(page)
    page.get_by_text("Demo started").wait_for()
    no_exception(page, "02-overview-demo")

    # Test every demo connection and read the outcomes.
    go(page, "Connection test")
    page.get_by_role("button", name=re.compile(r"Test all \d+ connections")).click()
    page.get_by_text(re.compile(r"Tested \d+ connection\(s\)")).wait_for(timeout=60_000)
    settle(page)
    main = page.locator("[data-testid='stMain']")
    page.get_by_text("All connections:").wait_for()
    assert "2 Online, 1 Warning, 1 Unsafe, 1 Failed" in main.inner_text()
    no_exception(page, "03-connection-test")

    # The refused key's checklist names the problem, the IP the exchange saw and the fix.
    page.get_by_test_id("stSelectbox").first.click()
    page.get_by_role("option", name="MEXC Wrong IP (demo)").click()
    settle(page)
    page.get_by_text("Add the correct server IP to the exchange whitelist.").first.wait_for()
    text = main.inner_text()
    assert "IP restriction — failed" in text
    assert "127.0.0.1" in text
    no_exception(page, "04-checklist-wrong-ip")

    # Add a connection through the form (the second click on a button that writes to the
    # database is the case that breaks with a database handle shared across threads).
    go(page, "Connections")
    page.get_by_label("Connection name").first.fill("MEXC Browser Test")
    page.get_by_label("API Key", exact=True).first.fill("mx0vglBROWSERkey000111")
    page.get_by_label("Secret Key", exact=True).first.fill("mexcBROWSERsecret222333")
    # Never the real exchange from a test: a closed loopback port stands in for it.
    page.get_by_text("Advanced").first.click()
    page.get_by_role("textbox", name="API base URL").first.fill("http://127.0.0.1:9")
    page.get_by_role("button", name="Save connection").click()
    settle(page)
    page.get_by_text("Connection saved").wait_for()
    no_exception(page, "05-connections-added")
    assert "mexcBROWSERsecret222333" not in page.content()

    for title in ("Balances", "Orders"):
        go(page, title)
        no_exception(page, f"06-{title.lower()}")

    # The strategy sliders: moving one redraws the ladder without an error.
    go(page, "Strategy")
    slider = page.get_by_role("slider").first
    slider.focus()
    before = main.inner_text()
    for _ in range(3):
        slider.press("ArrowRight")
    settle(page)
    assert main.inner_text() != before
    no_exception(page, "07-strategy")

    for title in ("Settings", "Overview"):
        go(page, title)
        no_exception(page, f"08-{title.lower()}")

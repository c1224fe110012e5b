"""A person's path through BackFuture in a real browser: demo, tests, forms, every page."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from tests.e2e.conftest import ARTIFACTS

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e


# Status words drawn on a coloured background (the badges), counted in the page itself.
COLOURED_STATUSES = """() => [...document.querySelectorAll('span')].filter(s =>
  /^\\W*\\w*\\s*(Online|Warning|Unsafe|Failed)$/.test(s.textContent.trim())
  && !['rgba(0, 0, 0, 0)', 'transparent'].includes(getComputedStyle(s).backgroundColor)).length"""


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
    summary = main.inner_text()
    assert "Unsafe 1" in summary  # "All connections: 🟢 Online 5, 🔴 Unsafe 1, ..."
    assert "Failed" in summary
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
    page.get_by_text("Add a connection").first.click()  # the form is folded once connections exist
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


PAGES = ("Overview", "Connections", "Connection test", "Balances", "Orders", "Strategy", "Settings")
ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


def table_text(page: Page) -> str:
    """What the tables show (a data grid draws on a canvas: read its accessible cells)."""
    cells = page.locator("[data-testid='stDataFrame'] [role='gridcell']")
    return "\n".join(cells.all_inner_texts())


@pytest.mark.parametrize("width", [1400, 1024])
def test_every_page_reads_well(chromium, app_url: str, width: int) -> None:
    """Screenshots of every page at both widths, and what a person checks on each."""
    context = chromium.new_context(viewport={"width": width, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(app_url)
        settle(page)
        if page.get_by_role("button", name="Start demo").count():
            page.get_by_role("button", name="Start demo").click()
            settle(page)
        main = page.locator("[data-testid='stMain']")
        page.get_by_text("Total value").first.wait_for()
        test_all = page.get_by_role("button", name=re.compile(r"Test all \d+ connections"))
        test_all.wait_for()  # the page draws top to bottom: the button comes after the total
        assert test_all.count() == 1
        test_all.click()
        page.get_by_text(re.compile(r"Tested \d+ connection\(s\)")).wait_for()
        settle(page)
        text = main.inner_text()
        assert "Withdrawal is enabled on this key" in text  # the Unsafe banner
        assert "disable withdrawal" in text
        assert "MEXC Withdrawal Enabled (demo)" in text
        assert main.locator("[data-testid='stAlertContentError']").count() >= 1
        unreadable = []  # every page is photographed first; then what reads badly is listed
        for title in PAGES:
            go(page, title)
            slug = title.lower().replace(" ", "-")
            no_exception(page, f"{slug}-{width}")
            cells = table_text(page)
            if found := ISO_TIME.search(cells):
                unreadable.append(f"raw ISO time {found.group()} in a table on {title}")
            if "None" in cells.split("\n"):
                unreadable.append(f'"None" in a table on {title}')
        # Coloured statuses: the Overview's badges carry their colour.
        go(page, "Overview")
        page.get_by_text("Next step").wait_for()
        assert page.evaluate(COLOURED_STATUSES) >= 3  # e.g. Online, Warning, Unsafe badges
        # A new exchange's demo connection shows its balances.
        go(page, "Balances")
        page.get_by_text("Total value (USDT)").first.wait_for()
        assert "Bybit Unified Futures" in main.inner_text() or "OKX Spot Main" in main.inner_text()
        assert not unreadable
    finally:
        context.close()


def test_unlock_from_a_deep_link_lands_on_that_page(chromium, app_url: str) -> None:
    """Locked, a link to /balances shows the unlock page, and unlocking stays there (checked
    only when a passphrase is set; the e2e app runs in keyfile mode, so Balances opens)."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        page.goto(app_url + "/balances")
        settle(page)
        page.get_by_role("heading", name="Balances").first.wait_for()
    finally:
        context.close()

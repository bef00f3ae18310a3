"""pytest wiring: browsers that are closed after each test and photographed when it fails."""

import re

import pytest

from portal import ARTIFACTS, Browser


MODES = {"flows": "browser flows, Nu checker, axe-core, authorisation matrix (make test)",
         "attack": "slowhttptest, wapiti, sqlmap, CSRF checks behind the TLS proxy (make proof)"}


def pytest_configure(config):
    for mode, what in MODES.items():
        config.addinivalue_line("markers", f"{mode}: {what}")


def pytest_collection_modifyitems(config, items):
    """Every test belongs to exactly one mode of run.sh, so that none is silently left out of both."""
    stray = [item.nodeid for item in items if len([m for m in MODES if item.get_closest_marker(m)]) != 1]
    if stray:
        raise pytest.UsageError("tests without exactly one mode marker (flows/attack): " + ", ".join(stray))


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, "rep_" + report.when, report)


@pytest.fixture
def browsers(request):
    """Opens browsers on demand (`browsers()` or `browsers(javascript=False)`); a failing test
    leaves a screenshot and the page source of each under .build/e2e-artifacts/."""
    opened: list[Browser] = []

    def open_browser(**kw) -> Browser:
        browser = Browser(**kw)
        opened.append(browser)
        return browser

    yield open_browser
    failed = any(getattr(request.node, "rep_" + when, None) is not None and getattr(request.node, "rep_" + when).failed
                 for when in ("setup", "call"))
    for index, browser in enumerate(opened):
        if failed:
            stem = re.sub(r"[^A-Za-z0-9]+", "-", request.node.name)
            shots = ARTIFACTS / "screenshots"
            shots.mkdir(parents=True, exist_ok=True)
            try:
                browser.driver.save_screenshot(str(shots / f"{stem}-{index}.png"))
                (shots / f"{stem}-{index}.html").write_text(browser.driver.page_source)
                print(f"screenshot: {shots / f'{stem}-{index}.png'} (at {browser.driver.current_url})")
            except Exception as error:  # the browser itself may be what failed
                print(f"no screenshot: {error}")
        browser.quit()

"""The report in a real browser: Debian's headless Chromium opens the file with the network cut off;
no console error, every chart drawn at a real size, and a screenshot kept as a CI artefact."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, Request, Route, sync_playwright

from lambda_ark.report import Targets, build_report, render
from lambda_ark.repository import Repository

from .estate import NOW, build

CHROMIUM = os.environ.get("LAMBDA_ARK_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync"]
CHARTS = ["coverage", "rpo-jobs", "rpo-heatmap", "growth", "drills", "triggers"]


def test_the_report_renders_offline_in_chromium(local_repo: Repository, tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install -y chromium)")
    build(local_repo)
    page_file = tmp_path / "report.html"
    page_file.write_text(render(build_report(local_repo, targets=Targets(default=86400), clock=lambda: NOW)))
    errors: list[str] = []
    fetched: list[str] = []

    def only_the_file(route: Route, request: Request) -> None:
        if request.url.startswith("file://"):
            route.continue_()
        else:
            fetched.append(request.url)
            route.abort()

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=FLAGS,
            viewport={"width": 1400, "height": 1000})
        try:
            context.route("**/*", only_the_file)
            page = context.new_page()

            def on_console(msg: ConsoleMessage) -> None:
                if msg.type == "error":
                    errors.append(msg.text)

            page.on("console", on_console)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(page_file.as_uri(), wait_until="load")
            page.wait_for_function(f"document.querySelectorAll('.plotly-graph-div .main-svg').length >= "
                                   f"{2 * len(CHARTS)}", timeout=30_000)  # plotly draws two svg layers a chart
            sizes = {name: page.locator(f"#chart-{name} .main-svg").first.bounding_box() for name in CHARTS}
            marks = page.evaluate("document.querySelectorAll('.plotly-graph-div .point, .plotly-graph-div "
                                  ".hm, .plotly-graph-div image, .plotly-graph-div .trace').length")
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        finally:
            context.close()
    assert errors == []
    assert fetched == []  # nothing but the file itself
    for name, box in sizes.items():
        assert box is not None and box["width"] > 200 and box["height"] > 200, (name, box)
    assert marks > 0  # the charts have data drawn, not just axes
    assert (ARTIFACTS / "report.png").stat().st_size > 10_000

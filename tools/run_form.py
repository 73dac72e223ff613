"""The Prefect UI's Custom run form of `generate-video/on-demand`, in headless Chromium.

    python -m tools.run_form --screenshot docs/run-form.png

Opens the form on the server `PREFECT_API_URL` names (its UI must be served with
`PREFECT_UI_API_URL` set, as `make server` does), opens the `model` dropdown, types
a search and prints the models offered; with `--screenshot`, saves the view. Needs
Chromium (`apt-get install chromium`) and the dev extra's Playwright.
"""

from __future__ import annotations

import argparse
import shutil

import httpx
from playwright.sync_api import sync_playwright
from prefect.settings import get_current_settings


def model_choices(api_url: str, search: str, screenshot: str | None = None) -> list[str]:
    """The `model` options the on-demand deployment's run form offers for `search`."""
    (deployment,) = httpx.post(
        f"{api_url}/deployments/filter", json={"deployments": {"name": {"any_": ["on-demand"]}}}, timeout=10
    ).json()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("Chromium is needed: apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{api_url.removesuffix('/api')}/deployments/deployment/{deployment['id']}/run")
            label = page.locator(".schema-form-property__label", has_text="model (Optional)")
            page.locator(".schema-form-property", has=label).first.locator(".p-select-button__control").focus()
            page.keyboard.press("ArrowDown")  # opens the dropdown, as a keyboard user would
            page.get_by_placeholder("Search").fill(search)
            options = page.get_by_role("option")
            options.first.wait_for()
            choices = [options.nth(i).inner_text().strip() for i in range(options.count())]
            if screenshot:
                page.screenshot(path=screenshot)
            return choices
        finally:
            browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.run_form", description=__doc__.split("\n")[0])
    parser.add_argument("--search", default="veo-3.1", help="what to type in the dropdown's search box")
    parser.add_argument("--screenshot", help="save the view to this PNG")
    args = parser.parse_args()
    api_url = get_current_settings().api.url or "http://127.0.0.1:4200/api"
    for choice in model_choices(api_url, args.search, args.screenshot):
        print(choice)


if __name__ == "__main__":
    main()

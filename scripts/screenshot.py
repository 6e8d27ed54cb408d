"""Screenshot a page: python -m scripts.screenshot OUT.png [PAGE] [?QUERY] [HEIGHT_PX]."""

from __future__ import annotations

import sys

from tests.devserver import chromium, streamlit_server, wait_for_app


def main(out: str, path: str = "", query: str = "", height: str = "1000") -> None:
    with streamlit_server() as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": int(height)})
        page.goto(f"{url}/{path}{query}")
        wait_for_app(page)
        page.wait_for_selector(".js-plotly-plot", timeout=30_000)
        page.wait_for_timeout(1500)  # let plotly finish drawing
        page.screenshot(path=out, full_page=True)


if __name__ == "__main__":
    main(*sys.argv[1:])

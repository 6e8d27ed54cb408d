"""Issue 15, item 5: every teaching page opens with its plane or figure above the fold of a
projector (1280 × 720), in English and in Chinese.

One `streamlit run` server and one Debian Chromium serve every page and language; each page is
opened fresh (its link, ?lang=), waited for, and its first figure (the plane's canvas, a plotly
chart or a decoded image, whichever comes first on the page) must start inside the viewport and
show a good part of itself (half, or SEEN px) without scrolling. Train your own draws its figure
when the student trains: there the Train button must be on the first screen, and the live
curves it draws (one epoch on the small digits) too. A screenshot of each goes to a tmp dir (and
to $VAE_GEOM_SCREENSHOTS if set).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.devserver import (
    CHROMIUM,
    chromium,
    screenshot,
    screenshot_dirs,
    streamlit_server,
    wait_for_app,
)
from vae_geom import i18n

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian chromium"),
]

SMALL = {"width": 1280, "height": 720}  # a projector
PAGES = [  # (the page's path, a name for its screenshot)
    ("/", "explorer"),
    ("/Points_vs_ellipses", "points"),
    ("/KL_and_coverage", "kl"),
    ("/Reparameterisation", "reparam"),
    ("/Regularisers", "regularisers"),
    ("/Code_space_shapes", "shapes"),
    ("/Generate_and_interpolate", "generate"),
    ("/Train_your_own?dataset=digits", "train"),
]
# a figure: the plane (its canvas is in a shadow root, which Playwright's CSS enters), a plotly
# chart, a Vega chart (the live training curves) or a decoded image
FIGURE = ", ".join(
    f'[data-testid="stMain"] {figure}'
    for figure in (
        "canvas.vg-over",
        ".js-plotly-plot",
        '[data-testid="stVegaLiteChart"]',
        '[data-testid="stImage"] img',
    )
)
SEEN = 240  # px of the figure (or half of it, if smaller) a student sees without scrolling


@pytest.fixture(scope="module")
def browser_page():
    """One server and one browser for every page; a context per language (its browser locale)."""
    with streamlit_server("app.py") as url, chromium() as browser:
        yield url, browser


@pytest.fixture(scope="module")
def shots() -> list[Path]:
    return screenshot_dirs("fold")


def _first_figure(page) -> dict:
    """The bounding box of the first figure on the page, once it has drawn."""
    figure = page.locator(FIGURE).first
    figure.wait_for(state="visible", timeout=60_000)
    page.wait_for_timeout(1000)  # the plane sizes itself after its payload; plotly lays out
    wait_for_app(page)
    box = figure.bounding_box()
    assert box is not None
    return box


def _train_one_epoch(page, lang: str) -> None:
    """Press Train (on the first screen) for one epoch, as a student would."""
    go = page.get_by_role("button", name=i18n.t("train.go", lang), exact=True)
    box = go.bounding_box()
    assert box and 0 <= box["y"] and box["y"] + box["height"] <= SMALL["height"], box
    epochs = page.get_by_label(i18n.t("train.epochs", lang))
    epochs.fill("1")
    epochs.press("Enter")
    wait_for_app(page)
    go.click()


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize(("path", "name"), PAGES)
def test_the_page_opens_with_its_figure_above_the_fold(browser_page, shots, path, name, lang):
    url, browser = browser_page
    context = browser.new_context(viewport=SMALL, locale="zh-CN" if lang == "zh" else "en-GB")
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{url}{path}{'&' if '?' in path else '?'}lang={lang}")
        wait_for_app(page)
        if name == "train":
            _train_one_epoch(page, lang)
        box = _first_figure(page)
        screenshot(page, shots, f"fold-{name}-{lang}.png")
        assert page.evaluate("window.scrollY") == 0
        main = page.locator('[data-testid="stMain"]')
        assert main.locator("[data-testid='stException']").count() == 0
        top, bottom = box["y"], box["y"] + box["height"]
        assert 0 <= top < SMALL["height"], (name, lang, box)  # it starts on the first screen
        seen = min(bottom, SMALL["height"]) - top
        assert seen >= min(SEEN, box["height"] / 2), (name, lang, box)  # and a good part of it
        assert not errors, errors
    finally:
        context.close()

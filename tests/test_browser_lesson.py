"""The Lesson in Debian's Chromium on the real `streamlit run` server, at a projector's 1280 × 720:
walked with Next in English and in Chinese, each step's text, figure and controls lie inside the
viewport without scrolling, the page raises no error, and a Chinese step shows no English sentence.
A screenshot of every step and language goes to a tmp dir (and to $VAE_GEOM_SCREENSHOTS if set)."""

from __future__ import annotations

import os
import re
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
from tests.test_browser_plane import Z_TO_PAGE_JS
from vae_geom import lesson

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian chromium"),
]

SMALL = {"width": 1280, "height": 720}  # a projector
# Latin words a Chinese page may show: symbols, names, units, the essay's address, the sidebar's
# own English (its language switch "English", the app's name), file formats and key names
LATIN_OK = re.compile(
    r"^(AE|VAE|KL|MNIST|Fashion|E|D|x|z|N|I|p|q|r|i|j|k|log|diag|min|exp|vs|kexue|fm|archives|"
    r"English|vae|geom|http|https|www|lightbulb|school|"
    r"scikit|learn|digits?|Bars|Su|Jianlin|Zalando|PNG|CSV|Shift|Enter)$"
)


# every word of the page's main area: the step, its controls, its figure and the plane's panel (in
# the component's shadow root, which innerText does not enter), formulas left out (KaTeX spells
# its symbols out: "diag", "min", ...)
TEXT_JS = """() => {
    const main = document.querySelector('[data-testid="stMain"]');
    const el = main.cloneNode(true);
    const drop = '.katex, .katex-display, [data-testid="stIconMaterial"], style, script';
    el.querySelectorAll(drop).forEach((e) => e.remove());
    const texts = [el.innerText];
    for (const host of main.querySelectorAll('*'))
        if (host.shadowRoot)
            for (const child of host.shadowRoot.children)
                if (!['STYLE', 'SCRIPT'].includes(child.tagName)) texts.push(child.innerText);
    return texts.join(' ');
}"""


def _ready(page) -> None:
    """The script has run and the step's figure has drawn (the plane's canvas, or plotly's)."""
    wait_for_app(page)
    page.locator(
        ".st-key-lesson-figure canvas, .st-key-lesson-figure .js-plotly-plot"
    ).first.wait_for(timeout=60_000)
    page.wait_for_timeout(1200)  # the plane sizes itself and draws after its payload arrives


def _inside(box: dict, view: dict) -> bool:
    return (
        box["x"] >= -1
        and box["y"] >= -1
        and box["x"] + box["width"] <= view["width"] + 1
        and box["y"] + box["height"] <= view["height"] + 1
    )


PLANE_READY_JS = """(name) => {
    const P = window.__vaeGeomPlane, p = P && P.planes && P.planes.get(name);
    return !!(p && p.data && p.plot && !p.morphing && !p.pending);
}"""


def _check(page, dirs: list[Path], lang: str, n: int, tag: str = "") -> None:
    """Screenshot the step, then: no scrolling, no exception, text and figure and Next on screen,
    the step in the link, no English sentence on a Chinese step."""
    screenshot(page, dirs, f"lesson-{lang}-{n}{tag}.png")
    assert page.evaluate("window.scrollY") == 0
    main = page.locator('[data-testid="stMain"]')
    assert main.locator("[data-testid='stException']").count() == 0, n
    for part in ("lesson-figure", "lesson-text"):
        box = page.locator(f".st-key-{part}").bounding_box()
        assert box and _inside(box, SMALL), (lang, n, tag, part, box)
    nxt = page.locator(".st-key-lesson-next button")
    assert _inside(nxt.bounding_box(), SMALL), (lang, n, "Next")
    assert f"step={n}" in page.url, page.url
    if lang == "zh":
        text = re.sub(r"https?://\S+", " ", page.evaluate(TEXT_JS))
        # an icon's ligature (check_circle), even glued to a Chinese word (\b would not see it)
        text = re.sub(r"(?<![A-Za-z_])[a-z]+(?:_[a-z]+)+(?![A-Za-z_])", " ", text)
        stray = [w for w in re.findall(r"[A-Za-z]+", text) if not LATIN_OK.match(w)]
        assert not stray, (n, sorted(set(stray)))


def _predict(page, step: lesson.Step) -> None:
    """Commit to a prediction as a student would: click the plane, or pick a choice and check it;
    then wait for the verdict."""
    text = page.locator(".st-key-lesson-text")
    if step.kind == "click":
        page.wait_for_function(PLANE_READY_JS, arg="lesson_plane", timeout=60_000)
        x, y = page.evaluate(Z_TO_PAGE_JS, ["lesson_plane", -1.0, 1.2])
        page.mouse.move(x, y, steps=4)
        page.mouse.click(x, y)
    else:
        text.locator("[role='radiogroup'] label").first.click()
        page.wait_for_timeout(300)
        wait_for_app(page)
        page.locator(f".st-key-lesson-{step.id}-check button").click()
    text.locator("[data-testid='stAlert']").first.wait_for(timeout=60_000)
    wait_for_app(page)
    page.wait_for_timeout(800)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_lesson_walked_with_next_fits_a_projector(lang):
    dirs = screenshot_dirs("lesson")
    with streamlit_server("app.py") as url, chromium() as browser:
        page = browser.new_page(viewport=SMALL, locale="zh-CN" if lang == "zh" else "en-GB")
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{url}/Lesson?lang={lang}&step=1")
        for n, step in enumerate(lesson.STEPS, start=1):
            _ready(page)
            _check(page, dirs, lang, n)
            _predict(page, step)
            _check(page, dirs, lang, n, "-revealed")
            if n < len(lesson.STEPS):
                page.locator(".st-key-lesson-next button").click()
                page.wait_for_url(re.compile(rf"step={n + 1}"), timeout=30_000)
        assert not errors, errors


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_at_1500_by_1000_the_lessons_plane_keeps_its_panel_beside_it(lang):
    """The lesson's column is narrower than the Explorer's: the plane must leave its panel room
    (a plane 8 px too wide once pushed the panel under it, behind a blank band)."""
    view = {"width": 1500, "height": 1000}
    with streamlit_server("app.py") as url, chromium() as browser:
        page = browser.new_page(viewport=view)
        page.goto(f"{url}/Lesson?lang={lang}&step=3")
        _ready(page)
        figure = page.locator(".st-key-lesson-figure")
        stage = figure.locator(".vg-stage").bounding_box()
        panel = figure.locator(".vg-panel").bounding_box()
        column = figure.locator(".vg").bounding_box()
        assert panel["x"] >= stage["x"] + stage["width"]  # beside, not under
        assert abs(panel["y"] - stage["y"]) <= 1
        assert stage["x"] + stage["width"] <= column["x"] + column["width"] + 1
        assert _inside(stage, view) and _inside(panel, view)
        # presentation mode: the plane takes the column's width and its panel goes under it, with
        # no blank band (the empty images' room) between them until a z is shown
        page.locator(".st-key-lesson-big label").click()
        wait_for_app(page)
        page.wait_for_timeout(1500)
        stage = figure.locator(".vg-stage").bounding_box()
        panel = figure.locator(".vg-panel").bounding_box()
        assert panel["y"] >= stage["y"] + stage["height"]  # under
        assert panel["y"] - (stage["y"] + stage["height"]) <= 20, (stage, panel)
        assert figure.locator(".vg-pair").is_hidden()
        x, y = page.evaluate(Z_TO_PAGE_JS, ["lesson_plane", -1.0, 1.2])
        page.mouse.move(x, y, steps=4)
        figure.locator(".vg-pair").wait_for(state="visible", timeout=10_000)  # room once shown


def test_the_navigation_lists_the_lesson_first_then_the_explorer():
    with streamlit_server("app.py") as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        page.goto(url)
        wait_for_app(page)
        nav = page.locator('[data-testid="stSidebar"] [data-testid="stPageLink"]')
        nav.first.wait_for(timeout=60_000)
        labels = [t.strip().split("\n")[-1] for t in nav.all_inner_texts()]  # after the icon
        assert labels[:2] == ["Lesson", "Explorer"], labels

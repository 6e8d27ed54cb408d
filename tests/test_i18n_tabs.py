"""Issue 15: a link to a tab opens that tab whatever the language it was made in.

Streamlit binds a tab to the link by its label (?kl.section=<label>), and a label differs between
English and Chinese; `ui.sections` maps a label of any language to the tab it names, so a link
made in one language opens the same tab in the other (not the first tab), writes it back into the
link in the page's language, and a language switch keeps the open tab. Pages KL and coverage,
Regularisers and Code space shapes here; Generate's in tests/test_i18n_pages_c.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from vae_geom import i18n

PAGES = Path(__file__).parents[1] / "pages"
TABS = {  # page -> (section key, the catalogue keys of its tabs, in order)
    "2_KL_and_coverage.py": ("kl.section", ["kl.tab.curves", "kl.tab.steps", "kl.tab.aggregate"]),
    "4_Regularisers.py": ("reg.section", ["regularisers.tab.penalties", "regularisers.tab.models"]),
    "5_Code_space_shapes.py": (
        "shapes.section",
        ["shapes.tab.made_up", "shapes.tab.ladder", "shapes.tab.model"],
    ),
}  # Generate's tabs go through the same ui.sections: tests/test_i18n_pages_c.py opens them
# every tab but the first (a link leaves the first out), in both directions
CASES = [
    (page, tab, made_in, opened_in)
    for page, (_, tabs) in TABS.items()
    for tab in tabs[1:]
    for made_in, opened_in in (("en", "zh"), ("zh", "en"))
]


def _open(page: str, query: dict) -> AppTest:
    at = AppTest.from_file(str(PAGES / page), default_timeout=120)
    at.query_params.update({"dataset": "digits", **query})
    at.run()
    assert not at.exception, at.exception
    return at


def _open_tab(at: AppTest) -> int:
    """The position of the one tab that drew something (ui.sections runs only the open one)."""
    drawn = [i for i, tab in enumerate(at.main.get("tab")) if len(tab.children)]
    assert len(drawn) == 1, drawn
    return drawn[0]


@pytest.mark.parametrize(("page", "tab", "made_in", "opened_in"), CASES)
def test_a_tab_link_made_in_one_language_opens_that_tab_in_the_other(page, tab, made_in, opened_in):
    key, tabs = TABS[page]
    at = _open(page, {"lang": opened_in, key: i18n.t(tab, made_in)})
    assert [x.label for x in at.main.get("tab")] == [i18n.t(k, opened_in) for k in tabs]
    assert _open_tab(at) == tabs.index(tab)
    at.run()  # the next run writes the tab back into the link, in the page's language
    assert not at.exception and _open_tab(at) == tabs.index(tab)
    assert at.query_params[key] == i18n.t(tab, opened_in)


@pytest.mark.parametrize("page", ["2_KL_and_coverage.py", "5_Code_space_shapes.py"])
def test_a_tab_link_in_its_own_language_and_a_bad_one(page):
    key, tabs = TABS[page]
    for language in i18n.LANGUAGES:
        at = _open(page, {"lang": language, key: i18n.t(tabs[2], language)})
        assert _open_tab(at) == 2
    at = _open(page, {"lang": "zh", key: "9 · nonsense"})  # not a tab: the first one
    assert _open_tab(at) == 0


@pytest.mark.parametrize("page", ["4_Regularisers.py", "5_Code_space_shapes.py"])
def test_switching_the_language_keeps_the_open_tab(page):
    key, tabs = TABS[page]
    at = _open(page, {"lang": "en", key: i18n.t(tabs[1], "en")})
    assert _open_tab(at) == 1
    at.radio(key="lang").set_value("zh").run()
    assert not at.exception and _open_tab(at) == 1
    assert at.session_state[key] == i18n.t(tabs[1], "zh")
    at.radio(key="lang").set_value("en").run()
    assert not at.exception and _open_tab(at) == 1

"""Every plane a student clicks is sent with plotly's double-click action off.

plotly takes two mousedowns < 500 ms apart as a double-click and resets the axes, redrawing every
ellipse before it reports the click: back-to-back clicks took ~390 ms instead of ~95 ms
(BENCHMARKS.md). A clickable plane is one whose layout has `clickanywhere`; each must carry
`doubleClick: false` in the chart config that reaches the browser.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.apptest import run_page

ROOT = Path(__file__).parents[1]
PAGES = {  # page -> (a link that opens the tab with the plane, the clickable charts' keys)
    "app.py": ({}, {"latent"}),
    "pages/1_Points_vs_ellipses.py": ({}, {"pv_ae", "pv_vae"}),
    "pages/3_Reparameterisation.py": ({}, {"reparam_plane"}),
    "pages/6_Generate_and_interpolate.py": (
        {"generate.section": "3 · A path from A to B"},
        {"gen_plane"},
    ),
}


@pytest.mark.parametrize("page", PAGES)
def test_clickable_planes_turn_plotlys_double_click_off(page):
    query, keys = PAGES[page]
    at = run_page(str(ROOT / page), query=query)
    clickable = {}
    for chart in at.get("plotly_chart"):
        if json.loads(chart.proto.spec)["layout"].get("clickanywhere"):
            clickable[chart.key] = json.loads(chart.proto.config)
    assert set(clickable) == keys  # every plane the page lets a student click, and no other
    for key, config in clickable.items():
        assert config.get("doubleClick") is False, (key, config)
        assert config.get("displaylogo") is False, (key, config)

"""Every plane a student clicks is the plane component (vae_geom/ui/plane.py), and a click on it
reaches the page.

The planes were plotly charts with a click listener (plotly's double-click reset the axes between
two quick clicks: BENCHMARKS.md); each is now a canvas drawn by assets/plane/plane.js, which pins
z with one "click" trigger. No plotly chart may still promise clicks (`clickanywhere`): nothing
listens to them any more. Each plane has its state mount and a fallback whose number inputs are
bounded as clicks are (|z| <= probe.Z_LIMIT); a plane mounted with report=False (Generate's
samples and grid) keeps its pin in the browser and says so in its state.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests import plane_data
from tests.apptest import run_page
from vae_geom import probe

ROOT = Path(__file__).parents[1]
GENERATE = "pages/6_Generate_and_interpolate.py"
# (page, a link that opens the tab with the plane) -> {plane key: where its click lands}: a
# session_state key, NEAREST (Reparameterisation picks the sample with the nearest μ) or
# BROWSER_ONLY (report=False: the browser keeps the pin, the server is not told)
NEAREST, BROWSER_ONLY = "nearest μ", "browser only"
PAGES = {
    ("app.py", ""): {"latent": "explorer.z"},
    ("pages/1_Points_vs_ellipses.py", ""): {"pv_ae": "points.z", "pv_vae": "points.z"},
    ("pages/3_Reparameterisation.py", ""): {"reparam_plane": NEAREST},
    (GENERATE, "1 · Samples of the prior"): {"gen_samples": BROWSER_ONLY},
    (GENERATE, "2 · A grid over the plane"): {"gen_grid": BROWSER_ONLY},
    (GENERATE, "3 · A path from A to B"): {"gen_plane": "generate.click"},
}
CLICKS = [(page, section, key) for (page, section), keys in PAGES.items() for key in keys]


def _open(page: str, section: str):
    return run_page(str(ROOT / page), query={"generate.section": section} if section else {})


def _planes(at) -> set[str]:
    """The keys of the plane components carrying a payload (not their state mounts)."""
    return {
        e.key
        for e in at.get("bidi_component")
        if e.proto.component_name == "vae_geom.plane" and e.proto.WhichOneof("data") == "bytes"
    }


@pytest.mark.parametrize("page, section", PAGES)
def test_every_clickable_plane_is_the_plane_component(page, section):
    keys = PAGES[page, section]
    at = _open(page, section)
    assert _planes(at) == set(keys)  # every plane the page lets a student click, and no other
    for chart in at.get("plotly_chart"):  # no chart is left waiting for clicks nobody reads
        assert not json.loads(chart.proto.spec)["layout"].get("clickanywhere"), chart.key
    for key, lands in keys.items():
        plane = plane_data.plane(at, key)
        assert plane.meta["plane"] == key and plane.state["plane"] == key
        assert plane.state.get("report", True) is (lands != BROWSER_ONLY)
        assert len(plane["mu"]) == len(plane["labels"]) > 0
        fallback = plane_data.fallback(at, key)
        inputs = {n.key: n for n in fallback.number_input}
        assert set(inputs) == {f"{key}.z1", f"{key}.z2"}
        for n in inputs.values():
            assert (n.min, n.max) == (-probe.Z_LIMIT, probe.Z_LIMIT)
        assert [b.key for b in fallback.button] == [f"{key}.go"]


@pytest.mark.parametrize(
    "page, section, key", [c for c in CLICKS if PAGES[c[:2]][c[2]] != BROWSER_ONLY]
)
def test_a_click_on_each_plane_reaches_its_page(page, section, key):
    """A click at one drawn sample's μ: the page keeps that z (or, on Reparameterisation, picks
    that sample, the nearest μ by a loop over the payload's codes here)."""
    lands = PAGES[page, section][key]
    at = _open(page, section)
    mu = plane_data.plane(at, key)["mu"].astype(np.float64)
    i = len(mu) // 3
    z = (float(mu[i, 0]), float(mu[i, 1]))
    plane_data.click(at, *z, key=key)
    assert not at.exception, at.exception
    assert not [w.value for w in at.warning if "could not be read" in w.value]
    if lands == NEAREST:
        d2 = [(mu[j, 0] - z[0]) ** 2 + (mu[j, 1] - z[1]) ** 2 for j in range(len(mu))]
        assert at.session_state["reparam.index"] == min(range(len(mu)), key=d2.__getitem__)
    else:
        assert at.session_state[lands] == z, (key, lands)

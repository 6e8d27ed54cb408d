"""Issue 13, "no hidden codes": codes beyond the latent plane's fixed window are marked on its
frame (vae_geom.figures.plane.edge_markers), as the browser receives the figure."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.plotly_data import array
from vae_geom.figures import plane

EDGE = "codes beyond the edge"


def _figure(mu, labels=None, **kwargs) -> dict:
    labels = np.zeros(len(mu), int) if labels is None else labels
    fig = plane.latent_figure(mu, np.full_like(mu, 0.1), labels, **kwargs)
    return json.loads(fig.to_json())


def _edge(fig: dict) -> list[dict]:
    return [t for t in fig["data"] if t.get("name", "").endswith(EDGE)]


def test_codes_beyond_the_frame_are_marked_at_their_clipped_positions():
    mu = np.array([[7.0, 1.3], [-5.0, -2.0], [0.5, 6.0], [-1.2, -4.5], [9.0, 9.0], [7.0, 1.3]])
    mu = np.concatenate([mu, [[0.0, 0.0], [3.9, -3.9]]])  # two codes inside
    (edge,) = _edge(_figure(mu))
    xy = np.stack([array(edge["x"]), array(edge["y"])], 1)
    where = {(round(x, 6), round(y, 6)): i for i, (x, y) in enumerate(xy)}
    expected = {  # clipped position -> (outward triangle, codes there)
        (4.0, 1.3): ("triangle-right", 2),
        (-4.0, -2.0): ("triangle-left", 1),
        (0.5, 4.0): ("triangle-up", 1),
        (-1.2, -4.0): ("triangle-down", 1),
        (4.0, 4.0): ("triangle-right", 1),
    }
    assert set(where) == set(expected)
    for pos, (symbol, count) in expected.items():
        i = where[pos]
        assert edge["marker"]["symbol"][i] == symbol
        assert edge["hovertext"][i] == f"{count} code{'s' if count > 1 else ''} beyond the edge"
    assert edge["name"] == f"6 {EDGE}"


@pytest.mark.parametrize("limit", [plane.PLANE, 7.0])
def test_every_hidden_code_has_a_marker_within_a_snap_of_its_clipped_position(rng, limit):
    mu = rng.normal(scale=4.0, size=(3_000, 2))
    (edge,) = _edge(_figure(mu, limit=limit))
    xy = np.stack([array(edge["x"]), array(edge["y"])], 1)  # (m, 2)
    np.testing.assert_allclose(np.abs(xy).max(1), limit)  # all on the frame
    hidden = [z for z in mu if abs(z[0]) > limit or abs(z[1]) > limit]  # the oracle: a loop
    for z in hidden:
        clipped = np.clip(z, -limit, limit)
        assert np.abs(xy - clipped).max(1).min() <= plane.EDGE_STEP / 2 + 1e-9
    counts = [int(h.split()[0].replace(",", "")) for h in edge["hovertext"]]
    assert sum(counts) == len(hidden) > 0


def test_a_plane_whose_codes_all_fit_has_no_edge_trace_and_one_fill_per_class(rng):
    mu = rng.uniform(-3.9, 3.9, size=(50, 2))
    fig = _figure(mu, labels=np.arange(50) % 3)
    assert not _edge(fig)
    assert len([t for t in fig["data"] if t.get("fill") == "toself"]) == 3
    far = _figure(mu * 3, labels=np.arange(50) % 3)
    assert len(_edge(far)) == 1
    assert len([t for t in far["data"] if t.get("fill") == "toself"]) == 3


def test_animation_frames_keep_the_edge_trace_even_when_empty(rng):
    """keep_empty: the ladder animation needs the same traces in every frame."""
    mu = rng.uniform(-3, 3, size=(20, 2))
    inside = _figure(mu, keep_empty=True)
    outside = _figure(mu * 3, keep_empty=True)
    assert [t["name"] for t in inside["data"]][:-1] == [t["name"] for t in outside["data"]][:-1]
    assert len(inside["data"]) == len(outside["data"])
    assert len(array(_edge(inside)[0]["x"])) == 0
    assert _edge(inside)[0]["showlegend"] is False


def test_the_caption_counts_the_hidden_codes_on_each_side():
    mu = np.array([[5.0, 0.0], [5.0, 0.01], [-9.0, 9.0], [0.0, -4.5], [1.0, 4.2], [0.0, 0.0]])
    assert plane.outside_note(mu) == (
        "5 of 6 codes lie outside this view (z₁ > 4: 2, z₁ < −4: 1, z₂ > 4: 2, z₂ < −4: 1); "
        "the grey triangles on the frame mark where."
    )
    assert plane.outside_note(mu[-1:]) == ""

"""Issue 13, "no hidden codes": the Explorer's and the Points-vs-ellipses page's captions say how
many codes lie outside the plane drawn, and where; the oracle encodes the test split here."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests import plane_data
from tests.apptest import run_page
from vae_geom import checkpoints, ladder
from vae_geom.data import load_dataset
from vae_geom.models import posteriors

ROOT = Path(__file__).parents[1]
APP, POINTS = str(ROOT / "app.py"), str(ROOT / "pages" / "1_Points_vs_ellipses.py")


def _hidden(mu: np.ndarray, limit: float) -> dict[str, int]:
    """The oracle: codes beyond each side of [-limit, limit]^2, counted one by one."""
    count = {"outside": 0, "right": 0, "left": 0, "top": 0, "bottom": 0}
    for z1, z2 in mu.tolist():
        count["right"] += z1 > limit
        count["left"] += z1 < -limit
        count["top"] += z2 > limit
        count["bottom"] += z2 < -limit
        count["outside"] += max(abs(z1), abs(z2)) > limit
    return count


def _assert_states(caption: str, c: dict[str, int], n: int, limit: float) -> None:
    """The caption gives the count outside, of n, and each side's count that is not 0."""
    assert f"{c['outside']:,} of {n:,} codes lie outside this view (" in caption
    sides = {"right": "z₁ > {}", "left": "z₁ < −{}", "top": "z₂ > {}", "bottom": "z₂ < −{}"}
    for side, text in sides.items():
        said = f"{text.format(f'{limit:g}')}: {c[side]:,}"
        assert (said in caption) == (c[side] > 0), (side, caption)


def _test_codes(name: str, dataset: str = "mnist") -> np.ndarray:
    model, _ = checkpoints.load(ladder.stem(dataset, name))
    return posteriors(model, load_dataset(dataset).x_test)[0]


def test_the_explorer_says_how_many_of_the_aes_codes_lie_outside_the_plane():
    at = run_page(APP, "mnist", "ae")
    mu = _test_codes("ae")
    c = _hidden(mu, 4.0)
    assert 0 < c["outside"] < len(mu)
    (caption,) = [e.value for e in at.caption if "outside this view" in e.value]
    _assert_states(caption, c, len(mu), 4.0)


def test_the_explorer_says_nothing_when_every_code_fits():
    at = run_page(APP, "digits", "vae-kl-1")
    assert _hidden(_test_codes("vae-kl-1", "digits"), 4.0)["outside"] == 0
    assert not [e for e in at.caption if "outside this view" in e.value]


def test_points_vs_ellipses_counts_the_ae_codes_beyond_its_wider_view():
    """Both planes are widened to one scale (at most ±10) for the codes of either model; the
    digits AE's codes beyond it are counted under its plane, with their RMS radius."""
    at = run_page(POINTS, "digits")
    ae_plane, vae_plane = plane_data.plane(at, "pv_ae"), plane_data.plane(at, "pv_vae")
    limit = ae_plane.meta["range"]  # the axes span ±limit (assets/plane/plane.js)
    assert 4 < limit <= 10 and vae_plane.meta["range"] == limit
    mu = _test_codes("ae", "digits")
    np.testing.assert_allclose(ae_plane["mu"], mu, rtol=0, atol=1e-5)  # the codes counted
    c = _hidden(mu, limit)
    assert 0 < c["outside"] < len(mu)
    (caption,) = [e.value for e in at.caption if "outside this view" in e.value]
    rms = np.sqrt((mu.astype(np.float64) ** 2).sum(1).mean())
    assert caption.startswith(f"The AE's codes have an RMS radius of {rms:.2f}")
    _assert_states(caption, c, len(mu), limit)

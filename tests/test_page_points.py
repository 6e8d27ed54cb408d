"""AppTest of Points vs ellipses: both models decode the same z; the hole jump and the judged
prior samples are the judge's (vae_geom.judge)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from tests import plane_data
from vae_geom import checkpoints, geometry, judge, ladder
from vae_geom.data import load_dataset
from vae_geom.models import decode_images, posteriors

PAGE = str(Path(__file__).parents[1] / "pages" / "1_Points_vs_ellipses.py")


def _model(name, dataset="mnist"):
    return checkpoints.load(ladder.stem(dataset, name))[0]


def test_one_z_is_decoded_by_both_models(media):
    z = (0.5, 1.0)
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["points.z"] = z
    at.run()
    assert not at.exception
    imgs = at.get("image")
    assert [i.proto.imgs[0].caption.split(" —")[0] for i in imgs] == [
        "AE decoder(z)",
        "VAE decoder(z)",
    ]
    for img, name in zip(imgs, ["ae", "vae-kl-1"], strict=True):
        png = media.png(img.proto.imgs[0].url)
        f = png.shape[0] // 28
        expected = decode_images(_model(name), [z])[0].reshape(28, 28)
        np.testing.assert_allclose(png[::f, ::f], expected, atol=1 / 255 + 1e-6)
    assert len(at.get("plotly_chart")) == 2  # the class mix and the examples
    # the two planes in the browser: each model's own decoder, over the same test images, on one
    # scale, sharing the pointer; the pinned z is marked on both
    ds = load_dataset("mnist")
    ranges = set()
    for key, name in (("pv_ae", "ae"), ("pv_vae", "vae-kl-1")):
        p = plane_data.plane(at, key)
        mu, sigma = posteriors(_model(name), ds.x_test)
        np.testing.assert_allclose(p["mu"], mu, atol=1e-6)
        np.testing.assert_array_equal(p["labels"], ds.y_test)
        assert p.meta["is_ae"] == (name == "ae")
        np.testing.assert_allclose(
            plane_data.decode(p.arrays, z)[0], decode_images(_model(name), [z])[0], atol=1e-3
        )
        assert p.state["z"] == list(z) and p.state["link"] == "points"
        ranges.add(p.meta["range"])
    limit = max(
        geometry.plane_limit(posteriors(_model(n), ds.x_test)[0]) for n in ("ae", "vae-kl-1")
    )
    assert ranges == {limit}


def _inside_2sigma(z, mu, sigma) -> int:
    """The oracle: how many diagonal Gaussians' 2-sigma ellipses hold z, written out."""
    d = (np.asarray(z, dtype=np.float64) - mu.astype(np.float64)) / sigma.astype(np.float64)
    return int(((d**2).sum(1) <= 4.0).sum())


def test_jumping_into_the_hole_decodes_the_judges_pick():
    """Issue 13: 'a hole of the AE' is the prior draw inside 2 sigma whose decode the judge finds
    least like real data, not the largest empty disc among the codes."""
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.button(key="points.jump").click().run()
    j = judge.load_judge(judge.judge_stem("mnist"))
    centre = judge.worst_prior_sample(_model("ae"), j)
    assert at.session_state["points.z"] == tuple(centre)
    assert np.linalg.norm(centre) <= 2.0
    _, top = j.judge(decode_images(_model("ae"), centre[None]))
    assert any(f"the judge is {top[0]:.0%} sure of its class" in c.value for c in at.caption)
    # ... and what surrounds it is judged where each decoder learned: the training split
    ds = load_dataset("mnist")
    mu_train, _ = posteriors(_model("ae"), ds.x_train)
    d = np.linalg.norm(mu_train.astype(np.float64) - centre, axis=1).min()
    caption = at.get("image")[0].proto.imgs[0].caption
    assert caption == f"AE decoder(z) — nearest training code {d:.2f} away"
    n = _inside_2sigma(centre, *posteriors(_model("vae-kl-1"), ds.x_train))
    where = (
        f"inside {n:,} training samples' 2σ ellipses"
        if n > 1
        else "inside 1 training sample's 2σ ellipse"
        if n
        else "in a hole: no training sample's 2σ ellipse"
    )
    assert at.get("image")[1].proto.imgs[0].caption == f"VAE decoder(z) — z is {where}"


def test_sampling_the_prior_shows_the_judges_numbers():
    """The table's figures are judge.judge_scores of each rung, computed here independently, and
    the sentence under it is written from the AE's and the VAE's numbers."""
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    ds, j = load_dataset("mnist"), judge.load_judge(judge.judge_stem("mnist"))
    table = at.dataframe[0].value
    assert len(table) == len(ladder.SPECS)
    expected = {}
    for row, spec in zip(table.to_dict("records"), ladder.SPECS, strict=True):
        expected[spec.name] = judge.judge_scores(_model(spec.name), ds, j)
        got = expected[spec.name]
        assert row["prior_class_tv"] == got["prior_class_tv"], spec.name
        for key in ("prior_real", "agreement", "knn_mu"):  # fractions, shown as percentages
            assert row[key] == 100 * got[key], (spec.name, key)
    ae, vae = expected["ae"], expected["vae-kl-1"]
    text = next(m.value for m in at.markdown if "What is true here" in m.value)
    assert f"({ae['prior_real']:.0%} vs {vae['prior_real']:.0%})" in text
    assert f"(TV {ae['prior_class_tv']:.2f} vs {vae['prior_class_tv']:.2f})" in text
    assert judge.summary(ae, vae, "the β = 1 VAE") in text
    assert any(f"right **{j.accuracy:.1%}**" in m.value for m in at.markdown)
    assert at.get("plotly_chart")[0].proto.spec  # the class mix and the examples figures
    assert len(at.get("plotly_chart")) == 2
    # the judge's pick is starred on the AE's plane
    centre = judge.worst_prior_sample(_model("ae"), j)
    [star] = plane_data.state(at, "pv_ae")["marks"]
    assert star["kind"] == "star"
    np.testing.assert_allclose(star["z"], centre, atol=1e-6)


def test_the_vae_is_judged_by_its_training_ellipses():
    """Issue 13: a z that only training posteriors cover is no hole for the VAE's decoder."""
    z = (1.09, 2.25)
    ds = load_dataset("mnist")
    assert _inside_2sigma(z, *posteriors(_model("vae-kl-1"), ds.x_test)) == 0
    n = _inside_2sigma(z, *posteriors(_model("vae-kl-1"), ds.x_train))
    assert n > 1
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["points.z"] = z
    at.run()
    assert not at.exception
    caption = at.get("image")[1].proto.imgs[0].caption
    assert caption == f"VAE decoder(z) — z is inside {n:,} training samples' 2σ ellipses"


def test_the_captions_quote_the_records_coverage_and_the_aes_move():
    """What the planes' captions say is the shipped records' and the weights': the VAE's 1σ/2σ
    coverage, the AE's RMS radius and how far a test image moved from the VAE to the AE."""
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.query_params["dataset"] = "mnist"
    at.run()
    assert not at.exception
    vae = checkpoints.read_meta(ladder.stem("mnist", "vae-kl-1"))["test"]
    (vae_caption,) = [c.value for c in at.caption if c.value.startswith("The VAE's codes")]
    assert f"1σ ellipses cover {vae['coverage_1']:.0%} of the prior's mass" in vae_caption
    assert f"2σ ellipses {vae['coverage_2']:.0%}" in vae_caption
    ds = load_dataset("mnist")
    mu_ae = posteriors(checkpoints.load(ladder.stem("mnist", "ae"))[0], ds.x_test)[0]
    mu_vae = posteriors(checkpoints.load(ladder.stem("mnist", "vae-kl-1"))[0], ds.x_test)[0]
    unit = [m / np.sqrt((m.astype(np.float64) ** 2).sum(1).mean()) for m in (mu_vae, mu_ae)]
    move = np.median(np.linalg.norm(unit[0] - unit[1], axis=1))
    (ae_caption,) = [c.value for c in at.caption if c.value.startswith("The AE's codes")]
    assert f"moved a median {move:.2f}" in ae_caption
    assert f"RMS radius of {np.sqrt((mu_ae.astype(np.float64) ** 2).sum(1).mean()):.2f}" in (
        ae_caption
    )
    assert any(
        "this AE went on training from the β = 1 VAE" in c.value for c in at.caption
    )  # the judged section says why the AE's samples fare as well as the VAE's

"""The shipped ladder: every checkpoint loads, its figures are reproduced, the KL matters."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from vae_geom import checkpoints, collapse, ladder, training
from vae_geom.data import DATASETS, load_dataset
from vae_geom.models import posteriors
from vae_geom.training import evaluate

RUNGS = [(d, s.name) for d in DATASETS for s in ladder.SPECS]


@pytest.fixture(scope="module")
def datasets():
    return {d: load_dataset(d) for d in DATASETS}


def _load(dataset, name):
    return checkpoints.load(ladder.stem(dataset, name))


@pytest.mark.parametrize("dataset, name", RUNGS)
def test_shipped_checkpoint_reproduces_its_recorded_test_figures(datasets, dataset, name):
    model, meta = _load(dataset, name)
    ds = datasets[dataset]
    assert meta["dataset"] == dataset and meta["name"] == name
    planned = ladder.spec_by_name(name).ladder_config(ladder.RECIPES[dataset])
    assert meta["model"]["input_dim"] == ds.dim and meta["train"] == planned.to_dict()
    assert meta["continued_from"] == ladder.PARENT.get(name)
    got = evaluate(model, ds.x_test)
    rec = meta["test"]
    assert got["recon"] == pytest.approx(rec["recon"], rel=0.01)
    if model.is_ae:
        assert rec["elbo"] is None
    else:
        assert got["elbo"] == pytest.approx(rec["elbo"], rel=0.01)
    mu, sigma = posteriors(model, ds.x_test)
    again = training.geometry_metrics(mu, sigma)
    for key in ("coverage_1", "coverage_2", "holes_fraction", "aggregate_kl"):
        assert again[key] == pytest.approx(rec[key], abs=0.005), key


@pytest.mark.parametrize(
    "asked, spec",
    [
        (("vae", "simple", 0.3), ladder.Spec("vae", "simple", 0.3)),
        (("vae", None, 0.3), ladder.Spec("vae", "kl", 0.3)),  # a VAE's default: the KL
        (("vae", "none", 2), ladder.Spec("vae", "none", 2.0)),
        (("ae", "kl", 0.3), ladder.Spec("ae", "none", 0.0)),  # an AE has nothing to weight
        (("ae", None, 1.0), ladder.Spec("ae", "none", 0.0)),
    ],
)
def test_a_users_spec_is_normalised_in_one_place(asked, spec):
    assert ladder.Spec.for_user(*asked) == spec


def test_a_users_spec_of_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="kind must be one of"):
        ladder.Spec.for_user("AE")


def test_a_spec_trains_with_its_own_objective():
    config = ladder.Spec("vae", "simple", 0.3).train_config(7, seed=2)
    assert config == training.TrainConfig(regulariser="simple", beta=0.3, epochs=7, seed=2)


def test_ladder_is_small_enough_to_ship():
    total = sum(p.stat().st_size for p in ladder.MODELS_DIR.rglob("*") if p.is_file())
    assert total <= 50 * 2**20


@pytest.mark.parametrize("dataset", DATASETS)
def test_the_kl_term_makes_the_posteriors_cover_the_prior(dataset):
    cov = {b: _load(dataset, f"vae-kl-{b:g}")[1]["test"]["coverage_1"] for b in ladder.KL_BETAS}
    assert cov[0.0] < 0.01  # KL off: sigma shrinks to nothing, the ellipses become points
    assert cov[0.0] < cov[0.1] < cov[0.3] < cov[1.0]
    assert _load(dataset, "ae")[1]["test"]["coverage_1"] == 0.0


@pytest.mark.parametrize("dataset", DATASETS)
def test_without_the_kl_the_aes_codes_spread_wider_and_cover_nothing(dataset):
    """The AE went on from the beta = 1 VAE with the KL off: nothing pulls its codes in any more,
    so they spread wider than the VAE's, and as points they cover none of the prior."""
    ae, vae = _load(dataset, "ae")[1]["test"], _load(dataset, "vae-kl-1")[1]["test"]
    assert ae["code_spread"] > vae["code_spread"]
    assert ae["coverage_1"] == 0.0 < 0.2 < vae["coverage_1"]


def test_mnist_prior_samples_decode_to_digit_like_images(datasets):
    """Decoded prior samples of the beta = 1 MNIST VAE look like digits, judged two ways:
    - they lie as close to some real training digit as held-out real digits do (the mean image,
      a blend of two digits or noise lie further away), and
    - a classifier trained on the real digits finds all ten classes among them."""
    from sklearn.linear_model import LogisticRegression

    ds = datasets["mnist"]
    model, _ = _load("mnist", "vae-kl-1")
    g = torch.Generator().manual_seed(0)
    with torch.inference_mode():
        imgs = torch.sigmoid(model.decode(torch.randn(200, 2, generator=g)))  # (200, 784)
    train, test = torch.as_tensor(ds.x_train), torch.as_tensor(ds.x_test)
    real_nn = torch.cdist(test[:300], train).min(1).values.median()
    fake_nn = torch.cdist(imgs, train).min(1).values.median()
    blend_nn = torch.cdist((test[:200] + test[200:400]) / 2, train).min(1).values.median()
    assert fake_nn <= real_nn < blend_nn
    clf = LogisticRegression(max_iter=300).fit(ds.x_train, ds.y_train)
    assert clf.score(ds.x_test, ds.y_test) > 0.85  # the judge itself is competent
    assert len(np.unique(clf.predict(imgs.numpy()))) == 10


def test_each_rung_is_trained_after_the_rung_it_continues_from():
    order = [s.name for s in ladder.training_order()]
    assert order[0] == ladder.ANCHOR and sorted(order) == sorted(s.name for s in ladder.SPECS)
    for child, parent in ladder.PARENT.items():
        assert order.index(parent) < order.index(child)


def test_median_move_ignores_scale_and_sees_a_rotation(rng):
    mu = rng.standard_normal((2000, 2))
    assert ladder.median_move(mu, 5 * mu) == pytest.approx(0.0, abs=1e-12)
    turned = mu @ np.array([[0.0, -1.0], [1.0, 0.0]])  # a quarter turn: |a - b| = sqrt(2) |a|
    unit = mu / np.sqrt((mu**2).sum(1).mean())
    expected = np.median(np.sqrt(2) * np.linalg.norm(unit, axis=1))
    assert ladder.median_move(mu, turned) == pytest.approx(expected)


def test_a_continued_rung_keeps_its_samples_where_a_fresh_one_does_not(digits):
    """The point of the aligned ladder, on a small fixture: beta = 0.3 continued from a trained
    beta = 1 model leaves each digit's code near where it was; trained from scratch with another
    seed, it puts the same digits elsewhere."""
    from vae_geom.models import ModelConfig, make_model

    x = digits.x_train
    anchor = make_model(ModelConfig(digits.dim, hidden=(64, 32)), 0)
    training.fit(anchor, x, training.TrainConfig(epochs=40, seed=0))
    spec = ladder.Spec("vae", "kl", 0.3)
    config = training.TrainConfig(beta=0.3, epochs=10, lr=1e-3, seed=0)
    cont = make_model(ModelConfig(digits.dim, hidden=(64, 32)), 0)
    cont.load_state_dict(anchor.state_dict())
    training.fit(cont, x, config)
    fresh = make_model(ModelConfig(digits.dim, hidden=(64, 32)), 1)
    training.fit(fresh, x, training.TrainConfig(beta=0.3, epochs=40, seed=1))
    mu = {k: posteriors(m, digits.x_test)[0] for k, m in [("a", anchor), ("c", cont), ("f", fresh)]}
    assert spec.name == "vae-kl-0.3"
    assert ladder.median_move(mu["a"], mu["c"]) < 0.25 < ladder.median_move(mu["a"], mu["f"])


def _scaled(mu):
    return mu / np.sqrt((mu**2).sum(1).mean())


@pytest.mark.parametrize("dataset", DATASETS)
def test_shipped_rungs_keep_each_sample_in_place(datasets, dataset):
    """Issue 13's targets, recomputed from the shipped weights: neighbouring KL rungs move a test
    sample's mu by a median <= 0.25 (codes scaled to RMS radius 1), AE <-> beta = 1 by <= 0.35."""
    ds = datasets[dataset]
    mu = {
        s.name: _scaled(posteriors(_load(dataset, s.name)[0], ds.x_test)[0]) for s in ladder.SPECS
    }
    kl = [f"vae-kl-{b:g}" for b in ladder.KL_BETAS]
    for a, b in zip(kl[:-1], kl[1:], strict=True):
        if collapse.is_collapsed(_load(dataset, b)[1]):
            continue  # codes that no longer carry x (digits beta = 3) have no place to keep
        assert np.median(np.linalg.norm(mu[a] - mu[b], axis=1)) <= 0.25, (a, b)
    assert np.median(np.linalg.norm(mu["ae"] - mu["vae-kl-1"], axis=1)) <= 0.35


@pytest.mark.slow
def test_cli_retrains_deterministically(tmp_path):
    def run(out):
        subprocess.run(
            [
                sys.executable,
                "-m",
                "vae_geom",
                "train-ladder",
                "--dataset",
                "digits",
                "--epochs",
                "2",
                "--out",
                str(out),
            ],
            check=True,
            capture_output=True,
        )
        return {n: checkpoints.load(out / "digits" / n) for n in [s.name for s in ladder.SPECS]}

    a, b = run(tmp_path / "a"), run(tmp_path / "b")
    for name in a:
        (ma, meta_a), (mb, meta_b) = a[name], b[name]
        for (k, va), vb in zip(ma.state_dict().items(), mb.state_dict().values(), strict=True):
            assert torch.equal(va, vb), (name, k)
        assert meta_a["test"] == meta_b["test"] and meta_a["train"]["epochs"] == 2

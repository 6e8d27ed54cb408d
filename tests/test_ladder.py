"""The shipped ladder: every checkpoint loads, its figures are reproduced, the KL matters."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from vae_geom import checkpoints, ladder, training
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
    assert (
        meta["model"]["input_dim"] == ds.dim and meta["train"]["epochs"] == ladder.EPOCHS[dataset]
    )
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
def test_ae_codes_spread_far_outside_the_unit_disc(dataset):
    spread_ae = _load(dataset, "ae")[1]["test"]["code_spread"]
    spread_vae = _load(dataset, "vae-kl-1")[1]["test"]["code_spread"]
    assert spread_ae > 3 and spread_ae > 3 * spread_vae


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

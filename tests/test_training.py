"""fit: learns, is deterministic for a seed, reports through its callback, can be stopped."""

from __future__ import annotations

import pytest

from vae_geom.models import ModelConfig, make_model
from vae_geom.training import TrainConfig, evaluate, fit


def test_training_lowers_the_loss(tiny_vae):
    _, history = tiny_vae
    loss = history.column("loss")
    assert loss[-1] < 0.85 * loss[0]


def test_training_is_deterministic_for_a_seed(digits):
    def run(seed):
        m = make_model(ModelConfig(digits.dim, hidden=(16,)), seed=seed)
        fit(m, digits.x_train[:300], TrainConfig(epochs=2, seed=seed))
        return evaluate(m, digits.x_test)

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_on_epoch_reports_each_epoch_and_false_stops(digits):
    seen = []

    def on_epoch(stats, model):
        seen.append(stats["epoch"])
        return stats["epoch"] < 2

    m = make_model(ModelConfig(digits.dim, hidden=(8,)), seed=0)
    history = fit(m, digits.x_train[:100], TrainConfig(epochs=10), on_epoch=on_epoch)
    assert seen == [1, 2] and history.stopped_early and len(history.epochs) == 2
    assert not m.training  # fit leaves the model ready for inference


def test_switching_the_kl_off_lets_the_kl_grow(digits):
    def kl_after(beta):
        m = make_model(ModelConfig(digits.dim, hidden=(32,)), seed=0)
        fit(m, digits.x_train, TrainConfig(epochs=6, beta=beta))
        return evaluate(m, digits.x_test)["kl"]

    assert kl_after(0.0) > 3 * kl_after(1.0)


def test_evaluate_ae_has_no_kl(digits):
    m = make_model(ModelConfig(digits.dim, hidden=(8,), kind="ae"), seed=0)
    out = evaluate(m, digits.x_test)
    assert out["kl"] is None and out["elbo"] is None and out["recon"] > 0


@pytest.mark.parametrize(
    "kwargs", [{"beta": -1}, {"beta": float("nan")}, {"regulariser": "x"}, {"epochs": 0}]
)
def test_bad_train_config_is_rejected(kwargs):
    with pytest.raises(ValueError):
        TrainConfig(**kwargs)

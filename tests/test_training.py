"""fit: learns, is deterministic for a seed, reports through its callback, can be stopped;
train_one and model_record: the record of a trained model, finished or interrupted."""

from __future__ import annotations

import pytest

from vae_geom import training
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


def test_train_one_records_how_the_model_was_trained_and_its_test_figures(digits):
    config = TrainConfig(regulariser="simple", beta=0.3, epochs=2, seed=3)
    model, record = training.train_one(digits, "vae", config, "mine")
    assert (record["name"], record["dataset"], record["kind"]) == ("mine", "digits", "vae")
    assert record["train"] == config.to_dict() and record["epochs_run"] == 2
    assert record["final_train"]["epoch"] == 2 and record["train_seconds"] >= 0
    assert record["test"] == training.test_metrics(model, digits)  # recomputed: deterministic


class _Stop(Exception):
    """Stands in for Streamlit's Stop, which raises inside the epoch callback."""


def test_a_run_interrupted_by_stop_gets_the_record_of_one_that_stopped_itself(digits):
    """The page keeps fit's epoch stats in the session; rebuilt from them by model_record, the
    record of an interrupted run equals train_one's for a run that stopped itself at the same
    epoch (on_epoch returning False): same weights, same config, same figures."""
    config = TrainConfig(beta=0.3, epochs=10, seed=5)
    _, finished = training.train_one(
        digits, "vae", config, "m", on_epoch=lambda stats, _: stats["epoch"] < 2
    )

    kept = []

    def stop_after_2(stats, model):
        kept.append(stats)
        if stats["epoch"] == 2:
            raise _Stop

    model = make_model(ModelConfig(digits.dim), config.seed)
    with pytest.raises(_Stop):
        training.train_one(digits, "vae", config, "m", on_epoch=stop_after_2, model=model)
    rebuilt = training.model_record(model, digits, "m", config, kept, seconds=1.0)
    assert rebuilt.keys() == finished.keys()
    for key in rebuilt.keys() - {"train_seconds"}:
        assert rebuilt[key] == finished[key], key


def test_a_run_stopped_before_its_first_epoch_still_has_a_record(digits):
    model = make_model(ModelConfig(digits.dim, hidden=(8,), kind="ae"), seed=0)
    record = training.model_record(
        model, digits, "ae", TrainConfig(regulariser="none", beta=0.0), [], 0.0
    )
    assert record["epochs_run"] == 0 and record["final_train"] is None
    assert record["kind"] == "ae" and record["test"]["elbo"] is None

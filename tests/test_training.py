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


def _objective(model, x, config) -> float:
    """The training objective on x with the fixed eps draw, recomputed from torch.distributions."""
    import torch
    from torch.distributions import Bernoulli, Normal, kl_divergence

    with torch.no_grad():
        xt = torch.as_tensor(x)
        mu, logvar = model.encode(xt)
        gen = torch.Generator().manual_seed(training.EVAL_SEED)
        eps = torch.randn(mu.shape, generator=gen)
        q = Normal(mu, torch.exp(0.5 * logvar))
        bern = Bernoulli(logits=model.decode(mu + eps * q.scale), validate_args=False)
        recon = -bern.log_prob(xt).sum(1)  # grey levels: the cross-entropy the loss uses
        kl = kl_divergence(q, Normal(torch.zeros_like(mu), torch.ones_like(mu))).sum(1)
        return float((recon + config.beta * kl).mean())


def test_early_stopping_keeps_the_best_validation_epoch(digits):
    """Overfit 36 digits on purpose: the weights left are those of the lowest validation loss,
    and that loss, recomputed independently on the held-out indices, is the minimum seen."""
    import copy

    import numpy as np

    x = digits.x_train[:60]
    config = TrainConfig(epochs=40, lr=1e-2, batch_size=8, validation=0.4, seed=3)
    snapshots = {}

    def keep(stats, model):
        snapshots[stats["epoch"]] = copy.deepcopy(model.state_dict())

    m = make_model(ModelConfig(digits.dim, hidden=(128,)), seed=0)
    history = fit(m, x, config, on_epoch=keep)
    val = history.column("val_loss")
    best = int(np.argmin(val)) + 1
    assert history.best_epoch == best and best < len(val)  # it did overfit, and stopped earlier
    for key, value in m.state_dict().items():
        assert (value == snapshots[best][key]).all()
    held_out = np.sort(np.random.default_rng(3).permutation(60)[:24])
    assert _objective(m, x[held_out], config) == pytest.approx(min(val), rel=1e-5)


def test_validation_is_held_out_of_the_gradient_steps(digits):
    """The held-out samples are never trained on: with one epoch (nothing to choose between),
    changing them leaves the trained weights unchanged; changing trained ones does not."""
    import numpy as np

    x = digits.x_train[:100].copy()
    _, held_out = training.validation_split(100, 0.1, 0)
    trained = np.setdiff1d(np.arange(100), held_out)

    def weights(data):
        m = make_model(ModelConfig(digits.dim, hidden=(8,)), seed=0)
        fit(m, data, TrainConfig(epochs=1, validation=0.1, seed=0))
        return m.state_dict()

    def flip(rows):
        changed = x.copy()
        changed[rows] = 1 - changed[rows]
        return changed

    base = weights(x)
    assert len(held_out) == 10
    assert all(np.array_equal(base[k], v) for k, v in weights(flip(held_out)).items())
    assert not all(np.array_equal(base[k], v) for k, v in weights(flip(trained[:10])).items())


def test_augmentation_shifts_and_rotates_each_image(digits):
    """augment_batch moves an image by at most 2 px and 10 degrees: an image of a single bright
    pixel lands within that reach, and a blank image stays blank."""
    import math

    import numpy as np
    import torch

    side = 28
    img = np.zeros((64, side * side), np.float32)
    img[:, 14 * side + 20] = 1.0  # one pixel, 6 px right of the centre (13.5, 13.5)
    out = training.augment_batch(torch.as_tensor(img), side, torch.Generator().manual_seed(0))
    out = out.numpy().reshape(64, side, side)
    ys, xs = np.mgrid[0:side, 0:side]
    mass = out.sum((1, 2))
    cy, cx = (out * ys).sum((1, 2)) / mass, (out * xs).sum((1, 2)) / mass
    r0 = math.hypot(20 - 13.5, 14 - 13.5)
    reach = 2 * math.sqrt(2) + r0 * math.radians(10) + 0.5
    assert (np.hypot(cy - 14, cx - 20) <= reach).all()
    assert np.hypot(cy - 14, cx - 20).std() > 0.3  # each image moved by its own amount
    blank = training.augment_batch(torch.zeros(3, side * side), side, torch.Generator())
    assert float(blank.abs().max()) == 0.0


def test_input_dropout_hides_pixels_from_the_encoder_only(digits, monkeypatch):
    """With input dropout the encoder reads images with about p of their pixels zeroed and the
    rest scaled by 1/(1 - p); the reconstruction is scored against the clean images."""
    import numpy as np
    import torch

    seen, targets = [], []
    m = make_model(ModelConfig(digits.dim, hidden=(8,)), seed=0)
    encode, recon = m.encode, training.recon_bernoulli
    monkeypatch.setattr(m, "encode", lambda x: (seen.append(x.clone()), encode(x))[1])
    monkeypatch.setattr(
        training, "recon_bernoulli", lambda lg, x: (targets.append(x.clone()), recon(lg, x))[1]
    )
    x = np.ones((64, digits.dim), np.float32)
    fit(m, x, TrainConfig(epochs=1, batch_size=64, input_dropout=0.25))
    zeroed = float((seen[0] == 0).float().mean())
    assert 0.2 < zeroed < 0.3
    assert torch.allclose(seen[0][seen[0] > 0], torch.tensor(1 / 0.75))
    assert bool((targets[0] == 1).all())
    with pytest.raises(ValueError, match="input_dropout"):
        TrainConfig(input_dropout=1.0)

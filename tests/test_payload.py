"""vae_geom.payload: the bytes the browser's plane is sent, unpacked here with numpy alone."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.plane_data import WEIGHT_MANTISSA_BITS, sent, unpack
from vae_geom import checkpoints, payload
from vae_geom.checkpoints import APP_ROOT
from vae_geom.models import MAX_HIDDEN_LAYERS, MAX_WIDTH, ModelConfig, decode_images, make_model

MNIST_BETA_1 = APP_ROOT / "assets" / "models" / "mnist" / "vae-kl-1"


def test_the_mnist_decoder_round_trips_as_float16():
    model, _ = checkpoints.load(MNIST_BETA_1)
    blob = payload.decoder_payload(model, "float16")
    header, arrays = unpack(blob)
    assert header["format"] == payload.FORMAT and header["kind"] == "decoder"
    linears = [m for m in model.decoder if isinstance(m, torch.nn.Linear)]
    assert list(arrays) == ["W0", "b0", "W1", "b1", "W2", "b2"]
    for i, m in enumerate(linears):
        # exactly torch's weights rounded to float16 (W as out × in)
        assert np.array_equal(arrays[f"W{i}"], m.weight.detach().half().numpy())
        assert np.array_equal(arrays[f"b{i}"], m.bias.detach().half().numpy())
    # 2 → 128 → 256 → 784: 234,896 numbers, two bytes each, plus a header under 1 kB
    assert [a.shape for a in arrays.values()][::2] == [(128, 2), (256, 128), (784, 256)]
    assert 2 * 234_896 < len(blob) < 2 * 234_896 + 1024


def test_float32_weights_are_rounded_to_the_mantissa_kept_and_posteriors_travel_exactly():
    model = make_model(ModelConfig(input_dim=64, hidden=(16, 8)), seed=3)
    header, arrays = unpack(payload.decoder_payload(model))
    assert header["dtype"] == "float32"  # the default
    weight = model.decoder[4].weight.detach().numpy()
    assert np.array_equal(arrays["W2"], sent(weight))
    assert payload.WEIGHT_MANTISSA_BITS == WEIGHT_MANTISSA_BITS
    assert np.abs(arrays["W2"] / weight - 1).max() <= 2.0 ** -(WEIGHT_MANTISSA_BITS + 1)
    header, arrays = unpack(payload.decoder_payload(model, mantissa=23))  # 23: exact
    assert np.array_equal(arrays["W2"], weight)
    rng = np.random.default_rng(0)
    mu, sigma = rng.normal(size=(7, 2)), rng.uniform(0, 1, (7, 2))
    sigma[3] = 0  # a point (an AE's code) travels as it is
    header, arrays = unpack(payload.posteriors_payload(mu, sigma))
    assert header["kind"] == "posteriors" and header["dtype"] == "float32"
    assert np.array_equal(arrays["mu"], mu.astype(np.float32))
    assert np.array_equal(arrays["sigma"], sigma.astype(np.float32))
    assert payload.posteriors_payload(np.zeros((0, 2)), np.zeros((0, 2)))  # no samples: valid


def test_the_shipped_decoders_rounded_weights_move_pixels_by_under_1e_3():
    """What the rounding costs, against torch with the exact weights, at z out to |z| = 10."""
    model, _ = checkpoints.load(MNIST_BETA_1)
    blob = payload.decoder_payload(model)
    _, arrays = unpack(blob)
    copy = make_model(model.config)
    copy.load_state_dict(model.state_dict())
    linears = [m for m in copy.decoder if isinstance(m, torch.nn.Linear)]
    with torch.no_grad():
        for i, m in enumerate(linears):
            m.weight.copy_(torch.from_numpy(arrays[f"W{i}"].copy()))
            m.bias.copy_(torch.from_numpy(arrays[f"b{i}"].copy()))
    rng = np.random.default_rng(0)
    z = np.concatenate([rng.normal(size=(200, 2)) * 2, rng.uniform(-10, 10, (100, 2))])
    err = np.abs(decode_images(copy, z) - decode_images(model, z)).max()
    assert 0 < err < 1e-3
    assert len(blob) < 0.65 * 4 * 234_896  # 0.94 MB of float32 travel in under 0.61 MB


@pytest.mark.parametrize(
    "hidden",
    [(MAX_WIDTH + 1,), (8,) * (MAX_HIDDEN_LAYERS + 1)],
    ids=["too wide", "too deep"],
)
def test_a_model_beyond_the_bounds_is_refused(hidden):
    model = make_model(ModelConfig(input_dim=4, hidden=hidden))
    with pytest.raises(payload.PayloadError):
        payload.decoder_payload(model)


def test_bad_requests_are_refused():
    model = make_model(ModelConfig(input_dim=4, hidden=(8,)))
    with pytest.raises(payload.PayloadError, match="dtype"):
        payload.decoder_payload(model, "float64")
    with pytest.raises(payload.PayloadError, match="mantissa"):
        payload.decoder_payload(model, mantissa=24)
    with pytest.raises(payload.PayloadError, match="2-D"):
        payload.decoder_payload(make_model(ModelConfig(input_dim=4, hidden=(8,), latent_dim=3)))
    with pytest.raises(payload.PayloadError, match="pixels"):
        payload.decoder_payload(make_model(ModelConfig(input_dim=payload.MAX_PIXELS + 1)))
    n = payload.MAX_POSTERIORS + 1
    with pytest.raises(payload.PayloadError, match="at most"):
        payload.posteriors_payload(np.zeros((n, 2)), np.ones((n, 2)))
    with pytest.raises(payload.PayloadError, match="finite"):
        payload.posteriors_payload([[0.0, np.nan]], [[1.0, 1.0]])
    with pytest.raises(payload.PayloadError, match="finite"):
        payload.posteriors_payload([[0.0, 0.0]], [[1.0, -1.0]])
    with pytest.raises(payload.PayloadError, match=r"\(n, 2\)"):
        payload.posteriors_payload(np.zeros((3, 3)), np.ones((3, 3)))

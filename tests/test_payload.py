"""vae_geom.payload: the bytes the browser's plane is sent, unpacked here with numpy alone."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest
import torch

from vae_geom import checkpoints, payload
from vae_geom.checkpoints import APP_ROOT
from vae_geom.models import MAX_HIDDEN_LAYERS, MAX_WIDTH, ModelConfig, make_model

MNIST_BETA_1 = APP_ROOT / "assets" / "models" / "mnist" / "vae-kl-1"


def unpack(blob: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    """The layout payload's docstring describes, read independently of payload.py."""
    (n,) = struct.unpack_from("<I", blob, 0)
    header = json.loads(blob[4 : 4 + n].decode())
    dtype = {"float16": "<f2", "float32": "<f4"}[header["dtype"]]
    arrays = {}
    for a in header["arrays"]:
        assert a["offset"] % 8 == 0 and a["offset"] >= 4 + n
        count = int(np.prod(a["shape"]))
        arrays[a["name"]] = np.frombuffer(blob, dtype, count, a["offset"]).reshape(a["shape"])
    return header, arrays


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


def test_float32_and_posteriors_round_trip_exactly():
    model = make_model(ModelConfig(input_dim=64, hidden=(16, 8)), seed=3)
    header, arrays = unpack(payload.decoder_payload(model))
    assert header["dtype"] == "float32"  # the default
    assert np.array_equal(arrays["W2"], model.decoder[4].weight.detach().numpy())
    rng = np.random.default_rng(0)
    mu, sigma = rng.normal(size=(7, 2)), rng.uniform(0, 1, (7, 2))
    sigma[3] = 0  # a point (an AE's code) travels as it is
    header, arrays = unpack(payload.posteriors_payload(mu, sigma))
    assert header["kind"] == "posteriors" and header["dtype"] == "float32"
    assert np.array_equal(arrays["mu"], mu.astype(np.float32))
    assert np.array_equal(arrays["sigma"], sigma.astype(np.float32))
    assert payload.posteriors_payload(np.zeros((0, 2)), np.zeros((0, 2)))  # no samples: valid


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

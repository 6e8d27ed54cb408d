"""Save -> load round trip, and one clear error for every kind of bad file. Nothing is unpickled."""

from __future__ import annotations

import json
import pickle

import pytest
import torch
from safetensors.torch import save_file

from vae_geom import checkpoints
from vae_geom.checkpoints import CheckpointError
from vae_geom.models import ModelConfig, make_model


@pytest.fixture
def saved(tmp_path, tiny_vae):
    model, _ = tiny_vae
    stem = tmp_path / "m"
    checkpoints.save(model, stem, {"name": "m", "dataset": "digits", "test": {"kl": float("inf")}})
    return model, stem


def test_round_trip_gives_identical_tensors_and_config(saved):
    model, stem = saved
    loaded, meta = checkpoints.load(stem)
    assert loaded.config == model.config
    for (k, a), b in zip(model.state_dict().items(), loaded.state_dict().values(), strict=True):
        assert torch.equal(a, b), k
    assert meta["format_version"] == checkpoints.FORMAT_VERSION
    assert meta["test"]["kl"] is None  # inf is not JSON: written as null
    assert not loaded.training
    x = torch.rand(4, model.config.input_dim)
    torch.testing.assert_close(loaded.encode(x)[0], model.encode(x)[0], rtol=0, atol=0)


def test_names_with_dots_keep_their_own_files(tmp_path, tiny_vae):
    model, _ = tiny_vae
    for name in ("vae-kl-0.1", "vae-kl-0.3", "vae-kl-0"):
        checkpoints.save(model, tmp_path / name, {"name": name, "dataset": "digits"})
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{n}.{ext}"
        for n in ("vae-kl-0.1", "vae-kl-0.3", "vae-kl-0")
        for ext in ("json", "safetensors")
    )
    assert checkpoints.read_meta(tmp_path / "vae-kl-0.1")["name"] == "vae-kl-0.1"


def test_missing_weights(saved):
    _, stem = saved
    stem.with_suffix(".safetensors").unlink()
    with pytest.raises(CheckpointError, match="missing: restore it, or retrain"):
        checkpoints.load(stem)


def test_missing_config(saved):
    _, stem = saved
    stem.with_suffix(".json").unlink()
    with pytest.raises(CheckpointError, match="json is missing"):
        checkpoints.load(stem)


@pytest.mark.parametrize("keep", [0, 7, 100, -50])
def test_truncated_weights(saved, keep):
    _, stem = saved
    w = stem.with_suffix(".safetensors")
    w.write_bytes(w.read_bytes()[:keep])
    with pytest.raises(CheckpointError, match="not a readable safetensors file"):
        checkpoints.load(stem)


def test_a_pickle_disguised_as_weights_is_refused_not_run(saved, tmp_path):
    _, stem = saved
    flag = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (flag.write_text, ("ran",))

    stem.with_suffix(".safetensors").write_bytes(pickle.dumps(Evil()))
    with pytest.raises(CheckpointError, match="not a readable safetensors"):
        checkpoints.load(stem)
    assert not flag.exists()


def test_wrong_shape_weights(saved):
    _, stem = saved
    other = make_model(ModelConfig(64, hidden=(16, 8)), seed=0)  # same names, other shapes
    save_file(other.state_dict(), str(stem.with_suffix(".safetensors")))
    with pytest.raises(CheckpointError, match="has shape"):
        checkpoints.load(stem)


def test_weights_of_another_architecture(saved):
    _, stem = saved
    save_file({"w": torch.zeros(3)}, str(stem.with_suffix(".safetensors")))
    with pytest.raises(CheckpointError, match="different models"):
        checkpoints.load(stem)


def test_non_finite_weights(saved):
    model, stem = saved
    sd = {k: v.clone() for k, v in model.state_dict().items()}
    sd["to_mu.bias"][0] = float("nan")
    save_file(sd, str(stem.with_suffix(".safetensors")))
    with pytest.raises(CheckpointError, match="not finite"):
        checkpoints.load(stem)


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda m: {**m, "format_version": 99}, "format version 99"),
        (lambda m: {**m, "format_version": True}, "format version True"),
        (lambda m: {**m, "format_version": "1"}, "format version '1'"),
        (lambda m: {**m, "format_version": 1.0}, "format version 1.0"),
        (lambda m: {k: v for k, v in m.items() if k != "model"}, "not a vae-geom config"),
        (lambda m: {**m, "model": {**m["model"], "kind": "gan"}}, "invalid model config"),
        (lambda m: {**m, "model": {**m["model"], "bogus": 1}}, "invalid model config"),
        (lambda m: [1, 2], "not a vae-geom config"),
        (lambda m: {**m, "model": {**m["model"], "hidden": []}}, r"hidden is \[\]"),
        (lambda m: {**m, "model": {**m["model"], "input_dim": -64}}, "input_dim is -64"),
        (lambda m: {**m, "model": {**m["model"], "input_dim": 64.0}}, "input_dim is 64.0"),
        (lambda m: {**m, "model": {**m["model"], "logvar_min": None}}, "logvar_min None"),
        (lambda m: {**m, "model": {**m["model"], "latent_dim": 3}}, "2-D latent planes only"),
        # 10^12 parameters: refused from the shapes alone, nothing is allocated
        (lambda m: {**m, "model": {**m["model"], "hidden": [10**6] * 2}}, r"expects \(1000000,"),
    ],
)
def test_bad_config(saved, edit, message):
    _, stem = saved
    c = stem.with_suffix(".json")
    c.write_text(json.dumps(edit(json.loads(c.read_text()))))
    with pytest.raises(CheckpointError, match=message):
        checkpoints.load(stem)


@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe\x00garbage"])
def test_garbage_config(saved, content):
    _, stem = saved
    stem.with_suffix(".json").write_bytes(content)
    with pytest.raises(CheckpointError, match="not valid JSON"):
        checkpoints.load(stem)

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

# the test figures a record carries (training.test_metrics); the AE's kl and elbo are null
TEST = {
    "recon": 21.1,
    "kl": float("inf"),
    "elbo": None,
    "coverage_1": 0.83,
    "coverage_2": 0.98,
    "aggregate_kl": 0.16,
    "holes_fraction": 0.006,
    "coverage_samples": 20_000,
}


@pytest.fixture
def saved(tmp_path, tiny_vae):
    model, _ = tiny_vae
    stem = tmp_path / "m"
    checkpoints.save(model, stem, {"name": "m", "dataset": "digits", "test": TEST})
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
        checkpoints.save(model, tmp_path / name, {"name": name, "dataset": "digits", "test": TEST})
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
        # 10^12 parameters: refused from the config alone, nothing is allocated
        (lambda m: {**m, "model": {**m["model"], "hidden": [10**6] * 2}}, "from 1 to 1,024"),
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


def _edit(stem, edit) -> None:
    c = stem.with_suffix(".json")
    c.write_text(json.dumps(edit(json.loads(c.read_text()))))


def _model(**changes):
    return lambda m: {**m, "model": {**m["model"], **changes}}


def _test(**changes):
    return lambda m: {**m, "test": {**m["test"], **changes}}


@pytest.mark.parametrize(
    "edit, message",
    [
        # sigma = e^350 is inf in float32: the geometry of every page would raise
        (_model(logvar_min=-800.0, logvar_max=700.0), "numbers from -30 to 10"),
        (_model(logvar_min=-10, logvar_max=11), "numbers from -30 to 10"),
        (_model(logvar_min=2.0, logvar_max=1.0), "the first below the second"),
        (_model(logvar_min=10**400), "logvar_min a number of 401 digits"),
        (_model(hidden=[8] * 10_000), "hidden is a list of 10,000 items; it must list 1 to 4"),
        (_model(hidden=[8] * 5), "it must list 1 to 4 hidden"),
        (_model(hidden=[2048]), r"hidden is \[2048\]; layer widths must be whole numbers from 1"),
        (_model(hidden="64"), "hidden is '64'; it must list"),
        (_model(input_dim=10**6), "input_dim is 1000000; layer widths .* from 1 to 4,096"),
        (_model(latent_dim=10**6), "latent_dim is 1000000"),
        (lambda m: {**m, "model": [64]}, r'"model" is \[64\], not an object'),
    ],
)
def test_absurd_architectures_are_refused_before_anything_is_built(saved, edit, message):
    _, stem = saved
    _edit(stem, edit)
    with pytest.raises(CheckpointError, match=message):
        checkpoints.load(stem)


def test_ten_thousand_layers_are_refused_at_once(saved):
    """Once 47 s to build; now refused from the JSON, before the weights are read."""
    import time

    _, stem = saved
    _edit(stem, _model(hidden=[8] * 10_000))
    t0 = time.perf_counter()
    with pytest.raises(CheckpointError, match="10,000 items"):
        checkpoints.load(stem)
    assert time.perf_counter() - t0 < 0.5


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda m: {k: v for k, v in m.items() if k != "test"}, "has no test figures"),
        (lambda m: {**m, "test": [1, 2]}, "has no test figures"),
        (lambda m: {**m, "test": {}}, "test figure recon is missing"),
        (_test(coverage_1="lots"), "coverage_1 is 'lots'; it must be a number from 0 to 1"),
        (_test(coverage_2=1.5), "coverage_2 is 1.5; it must be a number from 0 to 1"),
        (_test(holes_fraction=True), "holes_fraction is True"),
        (_test(aggregate_kl=None), "aggregate_kl is None; it must be a number ≥ 0"),
        (_test(aggregate_kl=-1), "aggregate_kl is -1"),
        (_test(recon=10**400), "recon is a number of 401 digits"),
        (_test(elbo=5.0), "elbo is 5.0; it must be a number ≤ 0"),
        (_test(kl=[1]), r"kl is \[1\]"),
        (_test(coverage_samples="many"), "coverage_samples is 'many'"),
    ],
)
def test_records_without_usable_test_figures_are_refused(saved, edit, message):
    """Every page shows these figures: a model without them is refused at load, with the fix."""
    _, stem = saved
    _edit(stem, edit)
    with pytest.raises(CheckpointError, match=message) as e:
        checkpoints.load(stem)
    assert "Train your own" in str(e.value)


def test_nan_test_figures_are_refused(saved):
    _, stem = saved
    c = stem.with_suffix(".json")
    c.write_text(c.read_text().replace('"coverage_1": 0.83', '"coverage_1": NaN'))
    with pytest.raises(CheckpointError, match="coverage_1 is nan"):
        checkpoints.load(stem)


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"format_version": ' + "9" * 5000 + "}", "not valid JSON"),  # Python's int limit
        ("[" * 5_000 + "]" * 5_000, "not valid JSON"),  # RecursionError in the parser
        ('{"a": ' + "[" * 50 + "]" * 50 + "}", "nests objects more than 6 deep"),
        ('{"pad": "' + "x" * 200_000 + '"}', "is 200,011 bytes; a vae-geom config is at most"),
    ],
)
def test_hostile_json_is_a_checkpoint_error(saved, text, message):
    _, stem = saved
    stem.with_suffix(".json").write_text(text)
    with pytest.raises(CheckpointError, match=message) as e:
        checkpoints.load(stem)
    assert len(str(e.value)) < 300


def test_files_are_named_relative_to_the_app_or_by_name():
    """No server path in a message: under the app relative to it, elsewhere the name alone."""
    ae = checkpoints.APP_ROOT / "assets" / "models" / "mnist" / "ae.json"
    assert checkpoints.shown(ae) == "assets/models/mnist/ae.json"
    assert checkpoints.shown("/srv/volume/user_models/digits/mine.json") == "mine.json"


def test_messages_never_carry_a_server_path(saved):
    _, stem = saved
    _edit(stem, lambda m: {**m, "format_version": 2})
    with pytest.raises(CheckpointError) as e:
        checkpoints.load(stem)
    assert str(e.value).startswith("m.json has format version 2")
    assert str(stem.parent) not in str(e.value) and "/" not in str(e.value)


MARKDOWN = ["![](http://host/t.png)", "[Log in again](//host)", "<img src=x>", "www.host.com"]


@pytest.mark.parametrize("text", MARKDOWN)
@pytest.mark.parametrize(
    "edit",
    [
        lambda m, t: {**m, "format_version": t},
        lambda m, t: {**m, "model": {**m["model"], t: 1}},
        lambda m, t: {**m, "model": {**m["model"], "kind": t}},
        lambda m, t: {**m, "model": {**m["model"], "hidden": [t]}},
        lambda m, t: {**m, "test": {**m["test"], "coverage_1": t}},
    ],
)
def test_text_from_the_file_never_reaches_a_message(saved, text, edit):
    """Messages are shown as Markdown to everyone who picks a shared model: a file's text is
    described (its kind and length), never quoted."""
    _, stem = saved
    _edit(stem, lambda m: edit(m, text))
    with pytest.raises(CheckpointError) as e:
        checkpoints.load(stem)
    for part in ("![", "](", "<img", "host"):
        assert part not in str(e.value)


def test_tensor_names_from_the_file_are_not_quoted(saved):
    model, stem = saved
    sd = {k: v.clone() for k, v in model.state_dict().items()}
    sd["![](http://host/t.png)"] = torch.zeros(1)
    save_file(sd, str(stem.with_suffix(".safetensors")))
    with pytest.raises(CheckpointError, match="different models") as e:
        checkpoints.load(stem)
    assert "host" not in str(e.value) and "a text of 22 characters" in str(e.value)

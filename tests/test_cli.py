"""`python -m vae_geom train`: trains, saves in the ladder's format, refuses bad input clearly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from vae_geom import checkpoints

ROOT = Path(__file__).parents[1]


def _run(*args, env_dir: Path):
    env = {**os.environ, "VAE_GEOM_USER_MODELS": str(env_dir), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "vae_geom", "train", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_train_saves_a_loadable_model(tmp_path):
    out = _run(
        "--dataset", "digits", "--epochs", "2", "--beta", "0.3", "--name", "cli", env_dir=tmp_path
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("epoch ") == 2
    model, meta = checkpoints.load(tmp_path / "digits" / "cli")
    assert meta["train"]["beta"] == 0.3 and meta["epochs_run"] == 2
    assert model.config.input_dim == 64 and meta["name"] == "user:cli"


def test_an_ae_records_no_regulariser_whatever_beta_was_typed(tmp_path):
    out = _run(
        "--dataset", "digits", "--kind", "ae", "--beta", "0.3", "--epochs", "1", env_dir=tmp_path
    )
    assert out.returncode == 0, out.stderr
    meta = checkpoints.read_meta(tmp_path / "digits" / "ae-s0-e1")  # the default name
    assert meta["kind"] == "ae" and meta["test"]["elbo"] is None
    assert (meta["train"]["regulariser"], meta["train"]["beta"]) == ("none", 0.0)


def test_bad_name_and_bad_file_are_refused_with_a_message(tmp_path):
    out = _run("--dataset", "digits", "--epochs", "1", "--name", "../escape", env_dir=tmp_path)
    assert out.returncode == 2 and "cannot be a model name" in out.stderr
    bad = tmp_path / "data.txt"
    bad.write_text("hello")
    out = _run("--data", str(bad), "--epochs", "1", env_dir=tmp_path)
    assert out.returncode == 2 and out.stderr.startswith("error: ")
    assert not list(tmp_path.rglob("*.safetensors"))  # nothing half-written

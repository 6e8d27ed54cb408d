"""AppTest of the Explorer: runs for every dataset, draws the latent plane, shows true figures."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from vae_geom import checkpoints, ladder
from vae_geom.data import DATASETS

APP = str(Path(__file__).parents[1] / "app.py")


def _run(dataset=None, model=None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    if dataset:
        at.selectbox(key="sidebar.dataset").set_value(dataset).run()
    if model:
        at.selectbox(key="sidebar.model").set_value(model).run()
    assert not at.exception, at.exception
    return at


def _figure(at: AppTest) -> dict:
    charts = at.get("plotly_chart")
    assert len(charts) == 1
    return json.loads(charts[0].proto.spec)


@pytest.mark.parametrize("dataset", DATASETS)
def test_explorer_draws_every_test_posterior_for_each_dataset(dataset):
    at = _run(dataset)
    fig = _figure(at)
    names = [t.get("name", "") for t in fig["data"]]
    assert "prior 1σ circle" in names and "prior 2σ circle" in names
    ellipse_traces = [t for t in fig["data"] if t.get("fill") == "toself"]
    n_points = sum(
        len(t["x"]["bdata"]) if isinstance(t["x"], dict) else len(t["x"])
        for t in fig["data"]
        if t["type"] == "scattergl"
    )
    assert ellipse_traces and n_points > 0
    assert fig["layout"]["xaxis"]["range"] == [-4, 4]
    assert fig["layout"]["yaxis"]["scaleanchor"] == "x"


def test_metrics_show_the_checkpoints_recorded_figures():
    at = _run("mnist", "vae-kl-1")
    meta = checkpoints.read_meta(ladder.stem("mnist", "vae-kl-1"))
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["coverage₁"] == f"{meta['test']['coverage_1']:.1%}"
    assert metrics["holes"] == f"{meta['test']['holes_fraction']:.1%}"


def test_ae_has_no_ellipses_and_no_elbo():
    at = _run("mnist", "ae")
    fig = _figure(at)
    assert not [t for t in fig["data"] if t.get("fill") == "toself"]
    assert {m.label: m.value for m in at.metric}["test ELBO"] == "—"


def test_a_corrupt_checkpoint_gives_a_clear_message(tmp_path, monkeypatch):
    root = tmp_path / "models"
    shutil.copytree(ladder.MODELS_DIR, root)
    (root / "mnist" / "vae-kl-1.safetensors").write_bytes(b"garbage")
    monkeypatch.setattr(ladder, "MODELS_DIR", root)
    st.cache_resource.clear()
    try:
        at = AppTest.from_file(APP, default_timeout=60).run()
        assert not at.exception
        assert "cannot be loaded" in at.error[0].value and "restore it" in at.error[0].value
        assert not at.get("plotly_chart")
    finally:
        st.cache_resource.clear()

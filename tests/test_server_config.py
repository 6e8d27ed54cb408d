"""The serving configuration a classroom relies on (.streamlit/config.toml)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

CONFIG = tomllib.loads((Path(__file__).parents[1] / ".streamlit" / "config.toml").read_text())


def test_upload_cap_matches_what_the_validators_allow():
    """Streamlit refuses larger files before our validators see them: one cap, one number."""
    from vae_geom import uploads, user_models, zips

    assert CONFIG["server"]["maxUploadSize"] == zips.MAX_UPLOAD_MB
    mb = 1024 * 1024  # Streamlit multiplies maxUploadSize by this (web/server/starlette_routes)
    assert uploads.LIMITS.max_file_bytes == user_models.MAX_CHECKPOINT_BYTES
    assert uploads.LIMITS.max_file_bytes == CONFIG["server"]["maxUploadSize"] * mb


def test_production_settings():
    assert CONFIG["browser"]["gatherUsageStats"] is False
    assert CONFIG["server"]["fileWatcherType"] == "none"
    assert CONFIG["server"]["enableXsrfProtection"] is True
    assert CONFIG["runner"]["postScriptGC"] is False  # ~200 ms per click, see BENCHMARKS.md
    assert CONFIG["client"]["showSidebarNavigation"] is False  # our own links name "Explorer"
    assert CONFIG["client"]["showErrorDetails"] == "type"  # no traceback ever reaches a page


def test_what_one_websocket_message_may_hold():
    """Issue 12: the websocket needs no XSRF token, so these bound what any script can send."""
    server = CONFIG["server"]
    assert server["maxWidgetStateSize"] == 1  # MB: the smallest; the browser sends a few KB
    assert server["enableWebsocketCompression"] is False  # no frame inflates past the cap
    assert server["enableCORS"] is True  # another site's page cannot open the websocket
    assert server["enableAgentApi"] is False  # no way in without the websocket
    assert server["enableStaticServing"] is False


def test_the_message_cap_holds_the_largest_figure_the_app_sends():
    """server.maxMessageSize also caps what the server sends: a plotly plane (vae_geom.figures,
    still drawn by the ladder animation and the code-space shapes) of uploads.LIMITS.max_samples
    ellipses must fit with room to spare (3x)."""
    import numpy as np

    from vae_geom import uploads
    from vae_geom.figures import plane

    n, rng = uploads.LIMITS.max_samples, np.random.default_rng(0)
    mu = rng.normal(size=(n, 2)).astype(np.float32)
    sigma = rng.uniform(0.05, 0.5, size=(n, 2)).astype(np.float32)
    fig = plane.latent_figure(mu, sigma, rng.integers(0, 100, n), k=2.0)
    assert 3 * len(fig.to_json()) < CONFIG["server"]["maxMessageSize"] * 1e6  # Streamlit: x 1e6


def _plane_bytes(hidden: tuple[int, ...], pixels: int, shown: int = 0, epochs: int = 0) -> int:
    """The bytes of the plane payload (vae_geom.payload.plane_payload) for a model of these widths,
    uploads.LIMITS.max_samples training posteriors, `shown` drawn ones (as many, if 0) and a replay
    of `epochs` epochs of them (Train your own), plus the most training images it ever sends
    (payload.IMAGES_MAX_BYTES deflated: noise here, so they are not sent)."""
    import numpy as np

    from vae_geom import payload, uploads
    from vae_geom.models import ModelConfig, make_model

    n, rng = uploads.LIMITS.max_samples, np.random.default_rng(0)
    shown = shown or n
    model = make_model(ModelConfig(pixels, hidden=hidden))
    mu = rng.normal(size=(n, 2)).astype(np.float32)
    sigma = rng.uniform(0.05, 0.5, size=(n, 2)).astype(np.float32)
    images = rng.uniform(0, 1, size=(n, pixels)).astype(np.float32)
    labels = rng.integers(0, 100, shown)
    frames = None
    if epochs:
        drawn = rng.normal(size=(epochs + 1, shown, 2)).astype(np.float32)
        frames = (np.arange(epochs + 1), drawn, np.abs(drawn))
    blob = payload.plane_payload(
        model,
        (mu, sigma, images),
        (mu[:shown], sigma[:shown], labels),
        {"texts": {}},
        frames=frames,
    )
    return len(blob) + payload.IMAGES_MAX_BYTES


def test_the_message_cap_holds_the_largest_plane_a_student_can_keep():
    """The plane sends the decoder as float32 in one message; a student's model has at most
    user_models.MAX_MODEL_BYTES of weights (about half of them the decoder's). Train your own's
    replay draws at most 2,000 test samples (replay.subset) over USER_EPOCHS_MAX epochs."""
    import torch

    from vae_geom import replay, training, user_models
    from vae_geom.models import ModelConfig, make_model

    hidden, pixels = (470,), 4096  # the widest one-layer model within the quota, 4,096 pixels
    model = make_model(ModelConfig(pixels, hidden=hidden))
    weights = sum(p.numel() * p.element_size() for p in model.parameters())
    assert 0.9 * user_models.MAX_MODEL_BYTES < weights <= user_models.MAX_MODEL_BYTES
    assert all(p.dtype == torch.float32 for p in model.parameters())
    cap = CONFIG["server"]["maxMessageSize"] * 1e6  # Streamlit: x 1e6
    assert 1.5 * _plane_bytes(hidden, pixels) < cap  # the Explorer: every sample drawn
    shown = len(replay.subset(10**6))
    assert 1.5 * _plane_bytes(hidden, pixels, shown, training.USER_EPOCHS_MAX) < cap


def test_the_plane_of_a_model_too_large_for_one_message_is_refused_in_words():
    """A model checkpoints.load accepts (4 hidden layers of 1,024, 4,096 pixels: a 29 MB float32
    decoder, e.g. a class model saved outside the quotas) would make a plane over
    server.maxMessageSize: payload refuses it by its size, under the cap, with a message."""
    from vae_geom import payload
    from vae_geom.models import MAX_HIDDEN_LAYERS, MAX_WIDTH

    assert payload.PAYLOAD_MAX_BYTES < CONFIG["server"]["maxMessageSize"] * 1e6
    with pytest.raises(payload.PayloadError, match=r"would be \d+\.\d MB, more than the 16 MB"):
        _plane_bytes((MAX_WIDTH,) * MAX_HIDDEN_LAYERS, 4096)


def test_streamlit_has_every_option_set_here():
    """A misspelt or removed option would be ignored without a word: each one must exist."""
    from streamlit import config

    options = config.get_config_options()
    for section, values in CONFIG.items():
        for name in values:
            assert f"{section}.{name}" in options, f"{section}.{name}"

"""The serving configuration a classroom relies on (.streamlit/config.toml)."""

from __future__ import annotations

import tomllib
from pathlib import Path

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
    """server.maxMessageSize also caps what the server sends: Train your own draws up to
    uploads.LIMITS.max_samples ellipses; its figure must fit with room to spare (3x)."""
    import numpy as np

    from vae_geom import uploads
    from vae_geom.figures import plane

    n, rng = uploads.LIMITS.max_samples, np.random.default_rng(0)
    mu = rng.normal(size=(n, 2)).astype(np.float32)
    sigma = rng.uniform(0.05, 0.5, size=(n, 2)).astype(np.float32)
    fig = plane.clickable(plane.latent_figure(mu, sigma, rng.integers(0, 100, n), k=2.0))
    assert 3 * len(fig.to_json()) < CONFIG["server"]["maxMessageSize"] * 1e6  # Streamlit: x 1e6


def test_streamlit_has_every_option_set_here():
    """A misspelt or removed option would be ignored without a word: each one must exist."""
    from streamlit import config

    options = config.get_config_options()
    for section, values in CONFIG.items():
        for name in values:
            assert f"{section}.{name}" in options, f"{section}.{name}"

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

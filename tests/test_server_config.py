"""The serving configuration a classroom relies on (.streamlit/config.toml)."""

from __future__ import annotations

import tomllib
from pathlib import Path

CONFIG = tomllib.loads((Path(__file__).parents[1] / ".streamlit" / "config.toml").read_text())


def test_upload_cap_matches_what_the_validator_allows():
    from vae_geom.uploads import LIMITS

    assert CONFIG["server"]["maxUploadSize"] == 50
    assert LIMITS.max_file_bytes == 50 * 2**20


def test_production_settings():
    assert CONFIG["browser"]["gatherUsageStats"] is False
    assert CONFIG["server"]["fileWatcherType"] == "none"
    assert CONFIG["server"]["enableXsrfProtection"] is True
    assert CONFIG["runner"]["postScriptGC"] is False  # ~200 ms per click, see BENCHMARKS.md
    assert CONFIG["client"]["showSidebarNavigation"] is False  # our own links name "Explorer"
    assert CONFIG["client"]["showErrorDetails"] == "type"  # no traceback ever reaches a page

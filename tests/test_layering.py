"""The core never imports Streamlit: only vae_geom.ui may."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CORE = sorted(
    p.stem
    for p in (Path(__file__).parents[1] / "vae_geom").glob("*.py")
    if p.stem not in {"ui", "__main__"}
)


def test_core_modules_import_no_streamlit():
    code = (
        "import sys\n"
        + "".join(f"import vae_geom.{m}\n" for m in CORE)
        + "assert 'streamlit' not in sys.modules, [m for m in sys.modules if 'streamlit' in m]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1])


def test_the_list_of_core_modules_is_not_empty():
    assert {"geometry", "models", "checkpoints", "figures"} <= set(CORE)

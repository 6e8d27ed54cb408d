"""The core never imports Streamlit: only vae_geom.ui may. Early imports skip torch."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

CORE = sorted(
    p.stem
    for p in (Path(__file__).parents[1] / "vae_geom").glob("*.py")
    if p.stem != "__main__"  # vae_geom/ui/ is a package: the glob never sees it
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


def test_explorer_imports_no_torch_before_its_frame_is_sent():
    """app.py sends its text and an empty prior plane before it imports vae_geom.ui (and torch,
    ~1 s on a fresh server): the imports above that line must not pull torch in themselves."""
    root = Path(__file__).parents[1]
    tree = ast.parse((root / "app.py").read_text())
    early = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and any(a.name == "ui" for a in node.names):
            break
        if isinstance(node, ast.Import | ast.ImportFrom) and getattr(node, "module", "") != (
            "__future__"
        ):
            early.append(ast.unparse(node))
    else:
        raise AssertionError("app.py no longer imports vae_geom.ui at top level")
    assert any("figures" in line for line in early), early  # the early plane needs figures
    code = "import sys\n" + "\n".join(early) + "\nassert 'torch' not in sys.modules\n"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)

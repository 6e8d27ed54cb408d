"""The core never imports Streamlit: only vae_geom.ui may. Early imports skip torch."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]


def core_modules(package: Path) -> list[str]:
    """Every module under `package` (sub-packages included) except `ui/`, the one Streamlit seam,
    and `__main__` (the command line), as dotted names."""
    names = []
    for p in sorted(package.rglob("*.py")):
        parts = p.relative_to(package.parent).with_suffix("").parts
        if "ui" in parts or parts[-1] == "__main__":
            continue
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def imports_streamlit(modules: list[str], cwd: Path = ROOT) -> subprocess.CompletedProcess:
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in modules)
        + "assert 'streamlit' not in sys.modules, [m for m in sys.modules if 'streamlit' in m]\n"
    )
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True)


CORE = core_modules(ROOT / "vae_geom")


def test_core_modules_import_no_streamlit():
    r = imports_streamlit(CORE)
    assert r.returncode == 0, r.stderr[-2000:]


def test_the_list_of_core_modules_holds_the_figures_package_and_not_the_ui():
    assert {"vae_geom.geometry", "vae_geom.models", "vae_geom.figures.plane"} <= set(CORE)
    assert {"vae_geom.figures", "vae_geom.figures.coverage"} <= set(CORE)
    assert not [m for m in CORE if m.startswith("vae_geom.ui")]


def test_a_figures_module_that_imports_streamlit_is_caught(tmp_path):
    """The check itself can fail: a copy of the package whose figures/plane.py imports
    streamlit is listed and refused."""
    copy = tmp_path / "vae_geom"
    shutil.copytree(ROOT / "vae_geom", copy, ignore=shutil.ignore_patterns("__pycache__"))
    plane = copy / "figures" / "plane.py"
    plane.write_text(plane.read_text() + "\nimport streamlit  # noqa: E402\n")
    modules = core_modules(copy)
    assert "vae_geom.figures.plane" in modules
    r = imports_streamlit(modules, cwd=tmp_path)
    assert r.returncode != 0 and "streamlit" in r.stderr


def test_explorer_imports_no_torch_before_its_frame_is_sent():
    """app.py sends its text and an empty prior plane before it imports vae_geom.ui (and torch,
    ~1 s on a fresh server): the imports above that line must not pull torch in themselves."""
    root = ROOT
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

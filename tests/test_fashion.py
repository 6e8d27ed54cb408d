"""Fashion-MNIST: the shipped npz, its loader, class names, and the plane legend that uses them."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from vae_geom import data
from vae_geom.figures import plane, shapes

DEBIAN = Path("/usr/share/datasets/fashion-mnist")
needs_debian = pytest.mark.skipif(
    not (DEBIAN / "train-images-idx3-ubyte.gz").is_file(),
    reason="Debian's dataset-fashion-mnist is not installed",
)


@pytest.fixture(scope="module")
def ds() -> data.Dataset:
    return data.load_dataset("fashion")


@pytest.fixture(scope="module")
def npz() -> dict[str, np.ndarray]:
    with np.load(data.FASHION_NPZ, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def idx(name: str, offset: int) -> np.ndarray:
    """An idx file's bytes after its header, parsed independently of scripts/build_fashion.py."""
    with gzip.open(DEBIAN / name) as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def test_the_npz_holds_uint8_arrays_of_the_promised_sizes(npz):
    assert npz["x_train"].shape == (20_000, 784) and npz["x_test"].shape == (5_000, 784)
    for k in ("x_train", "y_train", "x_test", "y_test"):
        assert npz[k].dtype == np.uint8
    assert (np.bincount(npz["y_train"], minlength=10) == 2_000).all()
    assert (np.bincount(npz["y_test"], minlength=10) == 500).all()


def test_loaded_shapes_dtypes_ranges_and_the_official_split(ds, npz):
    assert ds.name == "fashion" and ds.image_shape == (28, 28) and ds.dim == 784
    assert ds.label_name == "class"
    for x in (ds.x_train, ds.x_test):
        assert x.dtype == np.float32 and x.min() == 0 and x.max() == 1
    for y in (ds.y_train, ds.y_test):
        assert y.dtype == np.int64
    # the npz's own split, not split_indices: the official test images are the test split
    np.testing.assert_array_equal(ds.y_test, npz["y_test"])
    np.testing.assert_array_equal(ds.x_test, npz["x_test"] / np.float32(255))
    assert (np.bincount(ds.y_train) == 2_000).all() and (np.bincount(ds.y_test) == 500).all()
    assert "fashion" in data.DATASETS


def test_no_test_image_is_also_a_training_image(npz):
    train = {row.tobytes() for row in npz["x_train"]}
    assert not any(row.tobytes() in train for row in npz["x_test"])
    assert len(np.unique(npz["i_train"])) == 20_000 and len(np.unique(npz["i_test"])) == 5_000


@needs_debian
def test_the_rows_are_the_official_idx_rows(npz):
    for split, name in (("train", "train"), ("t10k", "test")):
        x = idx(f"{split}-images-idx3-ubyte.gz", 16).reshape(-1, 784)
        y = idx(f"{split}-labels-idx1-ubyte.gz", 8)
        assert len(x) == len(y) == (60_000 if split == "train" else 10_000)
        i = npz[f"i_{name}"]
        np.testing.assert_array_equal(npz[f"x_{name}"], x[i])
        np.testing.assert_array_equal(npz[f"y_{name}"], y[i])


@needs_debian
def test_the_build_is_deterministic_and_reproduces_the_npz(npz):
    from scripts import build_fashion

    first, second = build_fashion.build(), build_fashion.build()
    assert first.keys() == second.keys() == npz.keys()
    for k in npz:
        assert first[k].dtype == second[k].dtype == npz[k].dtype
        assert first[k].tobytes() == second[k].tobytes() == npz[k].tobytes()


def test_the_build_says_what_to_install_when_the_files_are_missing(monkeypatch, tmp_path, capsys):
    from scripts import build_fashion

    monkeypatch.setattr(build_fashion, "SOURCE", tmp_path)
    assert build_fashion.main(tmp_path / "out.npz") == 1
    assert "apt-get install dataset-fashion-mnist" in capsys.readouterr().err
    assert not (tmp_path / "out.npz").exists()


def test_class_names_and_label_text(ds):
    assert ds.class_names == data.FASHION_CLASSES and len(ds.class_names) == 10
    assert ds.class_names[0] == "T-shirt/top" and ds.class_names[9] == "Ankle boot"
    assert ds.label_text(3) == "class 3 (Dress)"
    assert ds.label_text(np.int64(9)) == "class 9 (Ankle boot)"
    x, y = np.zeros((2, 4), np.float32), np.array([3, 12])
    unnamed = data.Dataset("digits", x, y, x, y, (2, 2), label_name="digit")
    assert unnamed.label_text(3) == "digit 3"  # no names: as before
    assert ds.label_text(12) == "class 12"  # a label beyond the names: just its number


def test_the_plane_legend_and_hover_use_class_names():
    mu = np.array([[0.0, 0.0], [1.0, 1.0], [-1.0, 0.5]])
    sigma = np.full_like(mu, 0.3)
    labels = np.array([3, 9, 3])
    fig = plane.latent_figure(
        mu, sigma, labels, label_name="class", class_names=data.FASHION_CLASSES
    )
    markers = [t for t in fig.data if t.type == "scattergl"]
    assert [t.name for t in markers] == ["class 3 · Dress", "class 9 · Ankle boot"]
    assert "sample %{customdata} · class 9 · Ankle boot" in markers[1].hovertemplate
    ellipses = [t.name for t in fig.data if t.name and "ellipses" in t.name]
    assert ellipses == ["class 3 · Dress: 1σ ellipses", "class 9 · Ankle boot: 1σ ellipses"]
    # without names the legend reads as before
    plain = plane.latent_figure(mu, sigma, labels, label_name="digit")
    assert [t.name for t in plain.data if t.type == "scattergl"] == ["digit 3", "digit 9"]


def test_the_figures_that_wrap_the_plane_pass_the_names_on():
    mu = np.array([[0.0, 0.0], [1.0, 1.0]])
    labels, names = np.array([0, 8]), data.FASHION_CLASSES
    figs = [
        shapes.codes_figure(mu, labels, "class", "codes", class_names=names),
    ]
    for fig in figs:
        names_drawn = {t.name for t in fig.data if t.type == "scattergl"}
        assert {"class 0 · T-shirt/top", "class 8 · Bag"} <= names_drawn


def test_the_plane_components_legend_uses_class_names():
    """The browser's plane (vae_geom/ui/plane.py) names each class in its payload's meta, as the
    figures above do; read back from the bytes with tests/plane_data.unpack."""
    from tests.plane_data import unpack
    from vae_geom.models import ModelConfig, make_model
    from vae_geom.ui.plane import build_payload

    mu = np.array([[0.0, 0.0], [1.0, 1.0], [-1.0, 0.5], [2.0, 2.0]])
    sigma, labels = np.full_like(mu, 0.3), np.array([3, 9, 3, 12])
    model = make_model(ModelConfig(4, hidden=(8,)))
    train = (mu, sigma, np.zeros((4, 4), np.float32))
    kwargs = {"order": "test", "image_shape": (2, 2), "label_name": "class"}
    named = build_payload(
        "p", model, train, (mu, sigma, labels), **kwargs, class_names=data.FASHION_CLASSES
    )
    header, arrays = unpack(named)
    assert header["meta"]["legend"] == "class"  # the legend's title; the entries are short
    assert [c["name"] for c in header["meta"]["classes"]] == [
        "3 · Dress",
        "9 · Ankle boot",
        "class 12",  # a label beyond the names: just its number
    ]
    np.testing.assert_array_equal(arrays["labels"], labels)
    header, _ = unpack(build_payload("p", model, train, (mu, sigma, labels), **kwargs))
    assert [c["name"] for c in header["meta"]["classes"]] == ["class 3", "class 9", "class 12"]
    assert not header["meta"]["legend"]  # no names: each entry says "class"

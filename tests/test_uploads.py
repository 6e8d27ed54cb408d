"""Uploads: good files give back exactly what was put in; every bad file gives one clear error.

All inputs are generated here, in memory: no binary fixtures are committed.
"""

from __future__ import annotations

import dataclasses
import io
import tomllib
import zipfile
from pathlib import Path

import numpy as np
import pytest
from numpy.lib import format as npy_format
from PIL import Image

from tests.peak import peak_mb
from vae_geom import data, uploads
from vae_geom.uploads import LIMITS, UploadError, check_samples, describe, load_upload

MB = 1024 * 1024


# ---------------------------------------------------------------------------------------------
# builders


def npz_bytes(compressed: bool = False, **arrays) -> bytes:
    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, **arrays)
    return buf.getvalue()


def npy_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def png_bytes(pixels: np.ndarray, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format=fmt)
    return buf.getvalue()


def zip_bytes(files: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return buf.getvalue()


def csv_bytes(values: np.ndarray, header: list[str] | None = None) -> bytes:
    lines = [",".join(header)] if header else []
    lines += [",".join(repr(float(v)) for v in row) for row in values]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def images(rng) -> tuple[np.ndarray, np.ndarray]:
    """60 images 8x8 in [0, 1] (multiples of 1/8, exact in float32 and in text) and 3 classes."""
    x = rng.integers(0, 9, size=(60, 8, 8)) / 8
    y = np.repeat(np.arange(3), 20)
    return x, y


def assert_split(ds: data.Dataset, x: np.ndarray, y: np.ndarray) -> None:
    """The dataset is x, y (n, d) split by data.split_indices(y), as float32 / int64."""
    tr, te = data.split_indices(y)
    flat = x.reshape(len(x), -1).astype(np.float32)
    np.testing.assert_array_equal(ds.x_train, flat[tr])
    np.testing.assert_array_equal(ds.x_test, flat[te])
    np.testing.assert_array_equal(ds.y_train, y[tr])
    np.testing.assert_array_equal(ds.y_test, y[te])
    assert ds.x_train.dtype == np.float32 and ds.y_train.dtype == np.int64
    assert ds.x_train.flags.c_contiguous


# ---------------------------------------------------------------------------------------------
# good files


def test_npz_images_with_labels(images):
    x, y = images
    ds = load_upload("digits.npz", npz_bytes(x=x.astype(np.float32), y=y))
    assert ds.name == "upload:digits.npz"
    assert ds.image_shape == (8, 8) and ds.dim == 64
    assert_split(ds, x, y)
    assert (len(ds.x_train), len(ds.x_test)) == (48, 12)  # 20 per class: 4 of each in test
    assert describe(ds) == "60 samples of 8×8, 3 classes"


@pytest.mark.parametrize("x_key, y_key", [("images", "labels"), ("X", "y"), ("data", "labels")])
def test_npz_array_names(images, x_key, y_key):
    x, y = images
    ds = load_upload("a.npz", npz_bytes(compressed=True, **{x_key: x, y_key: y}))
    assert_split(ds, x, y)


@pytest.mark.parametrize("d, image_shape", [(49, (7, 7)), (50, (1, 50)), (1, (1, 1))])
def test_npz_vectors_without_labels(rng, d, image_shape):
    x = rng.random((100, d))
    ds = load_upload("v.npz", npz_bytes(x=x))
    assert ds.image_shape == image_shape
    assert_split(ds, x, np.zeros(100, np.int64))
    assert (len(ds.x_train), len(ds.x_test)) == (80, 20)
    assert describe(ds).startswith("100 samples of ") and describe(ds).endswith(", 1 class")


def test_npz_channels_last_greyscale_is_squeezed(images):
    x, y = images
    ds = load_upload("a.npz", npz_bytes(x=x[..., None], y=y))
    assert ds.image_shape == (8, 8)
    assert_split(ds, x, y)


def test_csv_without_header(rng):
    x = rng.integers(0, 9, size=(60, 5)) / 8
    ds = load_upload("plain.csv", csv_bytes(x))
    assert ds.image_shape == (1, 5)
    assert_split(ds, x, np.zeros(60, np.int64))
    assert describe(ds) == "60 samples of vectors of 5 values, 1 class"


def test_csv_with_header_and_label_column(images):
    x, y = images
    flat = x.reshape(60, -1)
    table = np.concatenate([flat[:, :10], y[:, None], flat[:, 10:]], axis=1)
    header = [f"px{i}" for i in range(10)] + ["Label"] + [f"px{i}" for i in range(10, 64)]
    ds = load_upload("with_labels.csv", csv_bytes(table, header))
    assert ds.image_shape == (8, 8)
    assert_split(ds, flat, y)


def test_csv_pandas_header_bom_and_blank_lines(rng):
    x = rng.integers(0, 9, size=(60, 4)) / 8
    text = b"\xef\xbb\xbf" + csv_bytes(x, ["0", "1", "2", "3"]) + b"\n\n"
    assert_split(load_upload("pd.csv", text), x, np.zeros(60, np.int64))


def test_zip_of_pngs_with_folders_as_labels(rng):
    pixels = rng.integers(0, 256, size=(60, 6, 7), dtype=np.uint8)
    y = np.repeat(np.arange(3), 20)
    files = {
        f"digits/{c}/img{i:03d}.png": png_bytes(p)
        for i, (p, c) in enumerate(zip(pixels, y, strict=True))
    }
    # what macOS and file managers add: never read (they are not PNGs)
    files |= {"__MACOSX/digits/0/._img000.png": b"junk", "digits/.DS_Store": b"junk"}
    ds = load_upload("digits.zip", zip_bytes(files))
    assert ds.image_shape == (6, 7) and ds.label_name == "folder"
    assert_split(ds, pixels.astype(np.float32) / np.float32(255), y)


def test_zip_folders_in_natural_order_and_rgb_and_16_bit(rng):
    grey = rng.integers(0, 256, size=(50, 4, 4), dtype=np.uint8)
    files = {}
    for i, g in enumerate(grey):
        folder = "10" if i % 2 else "2"  # natural order: folder 2 is label 0, folder 10 label 1
        if i % 3 == 0:
            img = np.stack([g, g, g], axis=-1)  # RGB with R = G = B: grey is exactly g
        elif i % 3 == 1:
            img = g.astype(np.uint16) * 257  # 16-bit grey, g * 257 / 65535 = g / 255
        else:
            img = g
        files[f"{folder}/{i:02d}.png"] = png_bytes(img)
    ds = load_upload("mixed.zip", zip_bytes(files))
    order = sorted(files, key=lambda f: (int(f.split("/")[0]), f))
    expect = np.stack([grey[int(f.split("/")[1][:2])] for f in order]) / 255
    y = np.array([0 if f.startswith("2/") else 1 for f in order])
    tr, te = data.split_indices(y)
    np.testing.assert_allclose(ds.x_train, expect.reshape(50, -1)[tr], atol=1e-6)
    np.testing.assert_allclose(ds.x_test, expect.reshape(50, -1)[te], atol=1e-6)


def test_zip_of_jpegs_with_separate_labels_file(rng):
    pixels = np.repeat(rng.integers(0, 256, size=(60, 1, 1), dtype=np.uint8), 8, axis=1)
    pixels = np.repeat(pixels, 8, axis=2)  # flat images survive JPEG almost unchanged
    files = {f"img{i}.jpg": png_bytes(p, "JPEG") for i, p in enumerate(pixels)}
    y = np.arange(60) % 4
    names = sorted(files, key=lambda f: int(f[3:-4]))  # natural order: img2 before img10
    labels_csv = ("label\n" + "\n".join(str(y[int(f[3:-4])]) for f in names)).encode()
    ds = load_upload("j.zip", zip_bytes(files), labels=labels_csv, labels_name="y.csv")
    assert ds.image_shape == (8, 8) and ds.label_name == "label"
    expect = np.stack([pixels[int(f[3:-4])] for f in names]).reshape(60, -1) / 255
    y_sorted = np.array([y[int(f[3:-4])] for f in names])
    tr, te = data.split_indices(y_sorted)
    np.testing.assert_allclose(ds.x_train, expect[tr], atol=3 / 255)
    np.testing.assert_array_equal(ds.y_test, y_sorted[te])


@pytest.mark.parametrize("kind", ["csv", "npy", "npz", "sniffed npy", "txt"])
def test_separate_labels_file_wins_over_labels_inside(images, kind):
    x, y = images
    other = (y + 1) % 3
    files = {
        "csv": ("y.csv", "\n".join(map(str, other)).encode()),
        "txt": ("y.txt", "\n".join(f"{v:.1f}" for v in other).encode()),  # 1.0 is an integer
        "npy": ("y.npy", npy_bytes(other.astype(np.int32))),
        "npz": ("y.npz", npz_bytes(labels=other[:, None])),
        "sniffed npy": (None, npy_bytes(other)),
    }
    name, content = files[kind]
    ds = load_upload("a.npz", npz_bytes(x=x, y=y), labels=content, labels_name=name)
    assert_split(ds, x, other)


def test_rescale_is_offered_then_applied(rng):
    x = rng.integers(0, 256, size=(60, 16)).astype(np.uint8)
    x[0, 0], x[0, 1] = 3, 250  # min 3 and max 250 somewhere
    x = np.clip(x, 3, 250)
    with pytest.raises(UploadError, match=r"from 3 to 250, outside \[0, 1\]") as err:
        load_upload("u8.npz", npz_bytes(x=x))
    assert err.value.suggest_rescale and err.value.value_range == (3.0, 250.0)
    ds = load_upload("u8.npz", npz_bytes(x=x), rescale=True)
    assert_split(ds, (x - 3.0) / 247.0, np.zeros(60, np.int64))


def test_rescale_leaves_data_in_range_alone(images):
    x, y = images
    assert_split(load_upload("a.npz", npz_bytes(x=x, y=y), rescale=True), x, y)


def test_singleton_classes_fall_back_to_a_seeded_random_split(images):
    x, y = images
    y = y.copy()
    y[0] = 7  # a class with one sample cannot be stratified
    ds = load_upload("a.npz", npz_bytes(x=x, y=y))
    assert (len(ds.x_train), len(ds.x_test)) == (48, 12)
    again = load_upload("a.npz", npz_bytes(x=x, y=y))
    np.testing.assert_array_equal(ds.x_test, again.x_test)
    both = np.concatenate([ds.x_train, ds.x_test])
    assert sorted(map(bytes, both)) == sorted(map(bytes, x.reshape(60, -1).astype(np.float32)))


def test_upload_limit_matches_streamlit_config():
    config = tomllib.loads((Path(__file__).parents[1] / ".streamlit/config.toml").read_text())
    assert LIMITS.max_file_bytes == config["server"]["maxUploadSize"] * MB


def test_nothing_is_written(images, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    x, y = images
    load_upload("a.npz", npz_bytes(x=x, y=y))
    load_upload(
        "a.zip", zip_bytes({f"{i}.png": png_bytes(np.uint8(x[i] * 255)) for i in range(60)})
    )
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# bad files: one UploadError each, naming the problem and the fix


@pytest.mark.parametrize("name", ["data.txt", "x.png", "noextension", "a.npy", "b.pkl"])
def test_wrong_extension(name, images):
    with pytest.raises(UploadError, match=r"expected \.npz, \.csv or \.zip of PNGs"):
        load_upload(name, npz_bytes(x=images[0]))


def test_upload_errors_are_value_errors():
    assert issubclass(UploadError, ValueError)


@pytest.mark.parametrize(
    "content, match",
    [
        (b"this is not a zip archive", "not a readable .npz"),
        (b"PK\x03\x04" + bytes(100), "not a readable .npz"),
    ],
)
def test_corrupt_npz(content, match):
    with pytest.raises(UploadError, match=match):
        load_upload("bad.npz", content)


def test_truncated_npz(images):
    good = npz_bytes(compressed=True, x=images[0])
    with pytest.raises(UploadError, match="truncated|cannot be read|not a readable"):
        load_upload("cut.npz", good[: len(good) // 2])


def test_corrupt_zip():
    with pytest.raises(UploadError, match=r"not a readable \.zip archive"):
        load_upload("bad.zip", b"\x89PNG\r\n\x1a\n not a zip")


class WritesAFlag:
    """Unpickling this would create a file: the test checks that it never happens."""

    def __init__(self, flag: Path):
        self.flag = flag

    def __reduce__(self):
        return open, (str(self.flag), "w")


@pytest.mark.parametrize("where", ["x", "y", "labels file"])
def test_pickle_is_refused_without_running_it(images, tmp_path, where):
    flag = tmp_path / "pwned"
    evil = np.array([WritesAFlag(flag)] * 60, dtype=object)
    x, y = images
    with pytest.raises(UploadError, match="pickled data.*never loaded"):
        if where == "x":
            load_upload("evil.npz", npz_bytes(x=evil))
        elif where == "y":
            load_upload("evil.npz", npz_bytes(x=x, y=evil))
        else:
            load_upload("a.npz", npz_bytes(x=x), labels=npy_bytes(evil), labels_name="y.npy")
    assert not flag.exists()


def test_the_pickle_payload_is_real(tmp_path):
    """The control: unpickling the same npz does create the flag, so the test above means it."""
    flag = tmp_path / "pwned"
    content = npz_bytes(x=np.array([WritesAFlag(flag)], dtype=object))
    with np.load(io.BytesIO(content), allow_pickle=True) as npz:
        for handle in npz["x"]:
            handle.close()
    assert flag.exists()


def npy_header(shape: tuple[int, ...], descr: str = "<f4") -> bytes:
    """A .npy header declaring `shape`, and no data."""
    buf = io.BytesIO()
    npy_format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False, "shape": shape})
    return buf.getvalue()


def test_npy_header_declaring_a_huge_array_is_refused():
    content = zip_bytes({"x.npy": npy_header((10**9, 4096))})
    with pytest.raises(UploadError, match=r"'x': 1,000,000,000 samples × 4,096 values = 4,096,0"):
        load_upload("huge.npz", content)
    labels = zip_bytes({"y.npy": npy_header((10**9,))})  # one value a sample: judged by bytes
    with pytest.raises(UploadError, match=r"declares an array of shape \(1000000000,\)"):
        load_upload("a.npz", npz_bytes(x=np.linspace(0, 1, 240).reshape(60, 4)), labels, "y.npz")


@pytest.mark.parametrize(
    "arrays, match",
    [
        ({"x": np.array(["a", "b"] * 30)}, "numbers are needed"),
        ({"a": np.zeros((60, 2)), "b": np.zeros((60, 2))}, "holds arrays a, b; name the samples x"),
        ({"x": np.full((60, 4, 4, 3), 0.5)}, r"shape \(60, 4, 4, 3\).*greyscale"),
        ({"x": np.linspace(0, 1, 60)}, r"shape \(60,\) has no rows"),
        ({"x": np.zeros((0, 4))}, "0 samples; at least 50"),
        ({"x": np.full((49, 4), 0.5)}, "49 samples; at least 50"),
        ({"x": np.full((20_001, 1), 0.5)}, "20,001 samples; at most 20,000"),
        ({"x": np.full((50, 65, 65), 0.5)}, r"4,225 values per sample; at most 4,096 \(64×64"),
        ({"x": np.zeros((60, 0))}, "no values"),
    ],
)
def test_bad_arrays(arrays, match):
    with pytest.raises(UploadError, match=match):
        load_upload("a.npz", npz_bytes(**arrays))


def test_nan_and_inf_are_counted(images):
    x = images[0].copy()
    x[0, 0, 0] = np.nan
    with pytest.raises(UploadError, match="1 NaN value; replace or remove"):
        load_upload("a.npz", npz_bytes(x=x))
    x[0, 0, :3] = np.nan
    with pytest.raises(UploadError, match="3 NaN values; replace or remove"):
        load_upload("a.npz", npz_bytes(x=x))
    x[1, 1, :2] = [np.inf, -np.inf]
    with pytest.raises(UploadError, match="3 NaN and 2 infinite values"):
        load_upload("a.npz", npz_bytes(x=x), rescale=True)


@pytest.mark.parametrize("value, rescale", [(0.0, False), (5.0, True), (5.0, False)])
def test_constant_data(value, rescale):
    with pytest.raises(UploadError, match=f"every value is {value:g}; .*nothing to learn"):
        load_upload("c.npz", npz_bytes(x=np.full((60, 4), value)), rescale=rescale)


@pytest.mark.parametrize(
    "text, match",
    [
        (b"0.1,0.2,0.3\n0.1,0.2,0.3\n0.1,0.2\n", "line 3: 2 values where the first row has 3"),
        (b"a,b,c\n0.1,0.2,0.3\n0.1,abc,0.3\n", r"line 3, column 2 \('b'\): 'abc' is not a number"),
        (b"0.1,0.2,0.3\n0.1,,0.3\n", "line 2, column 2 is empty"),
        (b"0.1;0.2;0.3\n0.1;0.2;0.3\n", "Separate values with commas"),
        (b"", "is empty"),
        (b"\n\n  \n", "no data rows"),
        (b"a,b,c\n", "no data rows"),
        (b"0\n" * 1_000_000, "more than 20,001 rows; at most 20,000 samples"),
        (b"\xff\xfe" + "0.5,0.5\n".encode("utf-16-le"), "not UTF-8 text.*UTF-16"),
        ("0.5,0.5\n".encode("utf-16-le"), "NUL characters.*UTF-16"),
        (np.random.default_rng(0).bytes(2000), "not UTF-8 text.*binary data"),
        ("“température”,poids\n0.5,0.5\n".encode("cp1252"), "Latin-1 or Windows-1252"),
        (b'"unterminated\n' + b"x" * 200_000, "not a valid CSV"),
    ],
)
def test_bad_csv(text, match):
    with pytest.raises(UploadError, match=match):
        load_upload("bad.csv", text)


def test_csv_with_only_a_label_column(rng):
    content = csv_bytes(np.zeros((60, 1)), ["label"])
    with pytest.raises(UploadError, match="no values"):
        load_upload("l.csv", content)


def test_non_image_zip():
    content = zip_bytes({"readme.txt": b"hello", "x.npy": npy_bytes(np.zeros(3))})
    with pytest.raises(UploadError, match=r"no \.png or \.jpg images \(found: readme.txt, x.npy\)"):
        load_upload("notes.zip", content)


def test_mixed_image_sizes(rng):
    files = {f"{i:02d}.png": png_bytes(np.zeros((8, 8), np.uint8)) for i in range(60)}
    files["30.png"] = png_bytes(np.zeros((8, 9), np.uint8))
    with pytest.raises(UploadError, match="30.png is 9×8 but the first image is 8×8"):
        load_upload("m.zip", zip_bytes(files))


def test_image_too_large_and_corrupt_png():
    with pytest.raises(UploadError, match="65×65 = 4,225 pixels.*Downscale"):
        load_upload("big.zip", zip_bytes({"a.png": png_bytes(np.zeros((65, 65), np.uint8))}))
    broken = png_bytes(np.zeros((8, 8), np.uint8))[:30]
    with pytest.raises(UploadError, match="a.png is not a readable PNG or JPEG"):
        load_upload("broken.zip", zip_bytes({"a.png": broken}))
    with pytest.raises(UploadError, match="a.png is not a readable PNG or JPEG"):
        gif = io.BytesIO()
        Image.new("L", (4, 4)).save(gif, format="GIF")  # a GIF named .png: no GIF decoder
        load_upload("gif.zip", zip_bytes({"a.png": gif.getvalue()}))


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """One member of zeros that claims more than the unpack limit (~200 kB compressed)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("x.npy", "w", force_zip64=True) as f:
            chunk = bytes(16 * MB)
            for _ in range(LIMITS.max_unzipped_bytes // len(chunk) + 1):
                f.write(chunk)
    return buf.getvalue()


@pytest.mark.parametrize("name", ["bomb.zip", "bomb.npz"])
def test_zip_bomb_is_refused_before_extracting(bomb, no_extraction, name):
    assert len(bomb) < 1 * MB
    with pytest.raises(UploadError, match=r"would unpack to 208 MB; at most 200 MB"):
        load_upload(name, bomb)


def test_high_compression_ratio_is_refused_before_extracting(no_extraction):
    content = zip_bytes({"a.png": bytes(8 * MB)}, compression=zipfile.ZIP_BZIP2)
    with pytest.raises(UploadError, match="expand .*-fold .*zip bomb"):
        load_upload("ratio.zip", content)


def test_encrypted_zip_is_refused(no_extraction):
    content = bytearray(zip_bytes({"a.png": b"x" * 100}))
    at = content.index(b"PK\x01\x02")  # the central directory entry; flag bits at +8
    content[at + 8] |= 0x1  # zipfile cannot write encrypted archives: set the bit by hand
    with pytest.raises(UploadError, match="a.png is encrypted; zip it without a password"):
        load_upload("secret.zip", bytes(content))


def test_too_many_zip_members(monkeypatch, no_extraction):
    monkeypatch.setattr(uploads, "LIMITS", dataclasses.replace(LIMITS, max_zip_members=10))
    content = zip_bytes({f"{i}.png": b"" for i in range(11)})
    with pytest.raises(UploadError, match="holds 11 files; at most 10"):
        load_upload("many.zip", content)


def test_too_many_images(monkeypatch):
    monkeypatch.setattr(uploads, "LIMITS", dataclasses.replace(LIMITS, max_samples=10))
    content = zip_bytes({f"{i}.png": b"" for i in range(11)})
    with pytest.raises(UploadError, match="holds 11 images; at most 10"):
        load_upload("many.zip", content)


def test_file_too_large(monkeypatch, images):
    monkeypatch.setattr(uploads, "LIMITS", dataclasses.replace(LIMITS, max_file_bytes=MB))
    with pytest.raises(UploadError, match=r"is 1\.0 MB; uploads are limited to 1 MB"):
        load_upload("a.npz", bytes(MB + 1))
    with pytest.raises(UploadError, match="limited to 1 MB"):
        load_upload("a.npz", npz_bytes(x=images[0]), labels=bytes(MB + 1), labels_name="y.csv")


@pytest.mark.parametrize(
    "labels, name, match",
    [
        (b"\n".join([b"1"] * 40), "y.csv", "40 labels for 60 samples"),
        (npy_bytes(np.zeros(61, np.int64)), "y.npy", "61 labels for 60 samples"),
        (npy_bytes(np.full(60, 0.5)), "y.npy", r"60 labels are not integers .* 0\.5"),
        (b"0\n1.5\n" + b"1\n" * 58, "y.csv", r"1 labels are not integers \(the first, at pos"),
        (b"0\nfoo\n" + b"1\n" * 58, "y.csv", "line 2, column 1: 'foo' is not a number"),
        (b"0,1\n" * 60, "y.csv", "line 1: 2 values; a labels file has one integer per row"),
        (npy_bytes(np.zeros((60, 2))), "y.npy", r"labels of shape \(60, 2\)"),
        (npz_bytes(a=np.zeros(60), b=np.zeros(60)), "y.npz", "save the labels as y"),
        (b"0\n" * 60, "y.json", r"cannot read \.json; labels must be a \.csv"),
        (b"\xff\xfe0\x00", "y.csv", "not UTF-8"),
    ],
)
def test_bad_labels_file(images, labels, name, match):
    with pytest.raises(UploadError, match=match):
        load_upload("a.npz", npz_bytes(x=images[0]), labels=labels, labels_name=name)


def test_too_many_classes_inside_csv(rng):
    table = np.concatenate([np.full((200, 2), 0.5), np.arange(200)[:, None]], axis=1)
    table[0, 0] = 0
    with pytest.raises(UploadError, match="200 different labels; at most 100 classes"):
        load_upload("c.csv", csv_bytes(table, ["a", "b", "label"]))


def test_check_samples_directly(rng):
    x = rng.random((60, 3, 3))
    out = check_samples(x)
    assert out.shape == (60, 9) and out.dtype == np.float32
    np.testing.assert_array_equal(out, x.reshape(60, 9).astype(np.float32))
    x[0, 0, :2] = 0, 1
    with pytest.raises(UploadError, match=r"the data: values run from -1 to 1") as err:
        check_samples(x * 2 - 1)
    assert err.value.suggest_rescale


# ---------------------------------------------------------------------------------------------
# memory: the whole dataset's n × d values are held to a budget before they are allocated

PEAK_IMPORTS = "from tests.test_uploads import load_upload, ragged_csv, wide_csv, wide_npz"


def test_the_budget_is_mnist_sized_and_tighter_than_the_two_caps():
    assert LIMITS.max_values == 20_000 * 28 * 28
    assert LIMITS.max_samples * LIMITS.max_features > 5 * LIMITS.max_values  # why it exists


def wide_npz() -> bytes:
    """20,000 samples of 4,096 values, each count within its cap: ~120 kB packed, 312 MB as
    float32."""
    x = np.zeros((LIMITS.max_samples, LIMITS.max_features), np.uint8)
    x[::2, 0] = 1
    return npz_bytes(compressed=True, x=x)


def wide_csv() -> bytes:
    """20,000 rows of 1,250 one-digit values: 50 MB (under the cap), 25 M values."""
    return ("1," * 1249 + "0\n").encode() * LIMITS.max_samples


def ragged_csv() -> bytes:
    """20,000 rows of 400 values with three decimals (48 MB, 8 M values, within the budget) and
    a short last row: refused only at its end."""
    row = (",".join(f"0.{i:03d}" for i in range(400)) + "\n").encode()
    return row * (LIMITS.max_samples - 1) + b"0.5,0.5\n"


BUDGET = r"at most 15,680,000 \(as many as 20,000 images of 28×28\) are read here"


def test_a_wide_npz_is_refused_from_its_header_before_its_array_is_read():
    data = wide_npz()
    assert len(data) < 200 * 1024
    with pytest.raises(UploadError, match=rf"20,000 samples × 4,096 values = .*; {BUDGET}"):
        load_upload("wide.npz", data)
    peak = peak_mb(PEAK_IMPORTS, "wide_npz()", "load_upload('wide.npz', data)")
    assert peak < 20, f"refusing a wide .npz took {peak:.0f} MB"  # 78 MB of uint8 alone


def test_a_wide_csv_is_refused_as_it_is_read():
    data = wide_csv()
    assert len(data) <= LIMITS.max_file_bytes
    with pytest.raises(UploadError, match=rf"at least 12,545 samples × 1,250 values = .*{BUDGET}"):
        load_upload("wide.csv", data)
    peak = peak_mb(PEAK_IMPORTS, "wide_csv()", "load_upload('wide.csv', data)")
    # the text (50 MB) and at most the budget as float64 (125 MB): never the cells as strings
    assert peak < 250, f"refusing a 50 MB CSV took {peak:.0f} MB"


def test_a_csv_refused_at_its_last_row_never_held_its_cells_as_strings():
    data = ragged_csv()
    assert len(data) <= LIMITS.max_file_bytes
    with pytest.raises(UploadError, match="line 20000: 2 values where the first row has 400"):
        load_upload("ragged.csv", data)
    peak = peak_mb(PEAK_IMPORTS, "ragged_csv()", "load_upload('ragged.csv', data)")
    # the text (48 MB) and its values as float64 (64 MB)
    assert peak < 200, f"refusing a 48 MB CSV took {peak:.0f} MB"


def test_a_csv_too_wide_is_refused_from_its_first_row(monkeypatch):
    """The width is known from the first row: the rest is never parsed."""
    first = ",".join(["0.5"] * (LIMITS.max_features + 1)) + "\n"
    with pytest.raises(UploadError, match="4,097 values per sample; at most 4,096"):
        load_upload("wide.csv", first.encode() + b"garbage,,," * 1000)


@pytest.fixture
def budget_of_60x4(monkeypatch):
    monkeypatch.setattr(uploads, "LIMITS", dataclasses.replace(LIMITS, max_values=60 * 4))


def test_the_budget_is_inclusive_and_a_label_column_is_not_counted(rng, budget_of_60x4):
    x = rng.integers(0, 9, size=(60, 4)) / 8
    y = np.arange(60) % 3
    table = np.concatenate([y[:, None], x], axis=1)
    assert_split(load_upload("ok.csv", csv_bytes(table, ["label", "a", "b", "c", "d"])), x, y)
    assert_split(load_upload("ok.npz", npz_bytes(x=x, y=y)), x, y)
    with pytest.raises(UploadError, match=r"at least 61 samples × 4 values = 244 values; at most"):
        load_upload("big.csv", csv_bytes(np.concatenate([x, x[:1]])))
    with pytest.raises(UploadError, match=r"a.npz: array 'x': 61 samples × 4 values = 244"):
        load_upload("a.npz", npz_bytes(x=np.concatenate([x, x[:1]])))
    with pytest.raises(UploadError, match=r"the data: 60 samples × 5 values = 300 values"):
        check_samples(rng.random((60, 5)))


def test_the_budget_is_checked_from_the_first_image(monkeypatch, budget_of_60x4):
    """Before the (n, h, w) array is allocated, and before the other images are decoded."""
    files = {f"{i:02d}.png": png_bytes(np.full((2, 3), i, np.uint8)) for i in range(50)}
    decoded = []
    original = uploads._grey
    monkeypatch.setattr(uploads, "_grey", lambda *a: decoded.append(a[1]) or original(*a))
    with pytest.raises(UploadError, match=r"big.zip: 50 samples × 6 values = 300 values"):
        load_upload("big.zip", zip_bytes(files))
    assert decoded == ["00.png"]


# ---------------------------------------------------------------------------------------------
# .npz members: the array read is the one whose header was checked


def test_a_member_without_npy_beside_one_with_it_is_refused(images):
    """np.load maps "x" to a member "x" or "x.npy": "x" here declares 7.3 TiB."""
    sound = npy_bytes(images[0].reshape(60, 64).astype(np.float32))
    content = zip_bytes({"x.npy": sound, "x": npy_header((2**40, 2))})
    with pytest.raises(UploadError, match=r"holds 'x', which is not a NumPy array \(\.npy\)"):
        load_upload("twice.npz", content)


def test_two_members_with_one_name_are_refused(images):
    sound = npy_bytes(images[0].reshape(60, 64).astype(np.float32))
    with pytest.warns(UserWarning, match="Duplicate name"):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("x.npy", sound)
            zf.writestr("x.npy", npy_header((2**40, 2)))
        content = buf.getvalue()
    with pytest.raises(UploadError, match=r"holds two arrays named 'x'"):
        load_upload("twice.npz", content)


def test_a_member_whose_data_is_cut_short_is_refused(images):
    sound = npy_bytes(images[0].reshape(60, 64).astype(np.float32))
    with pytest.raises(UploadError, match=r"array 'x' cannot be read \(EOF"):
        load_upload("cut.npz", zip_bytes({"x.npy": sound[:-100]}))

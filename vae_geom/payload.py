"""What the latent plane in the browser is sent once per model (issue 14): the decoder's weights and
the training posteriors, as bytes that assets/plane/decode.js reads.

One container for both:

    uint32 little-endian   n, the length of the header in bytes
    n bytes                the header: UTF-8 JSON, padded with spaces so the arrays start 8-aligned
    the arrays             little-endian, row-major, each at its "offset" (from the buffer's start)

The header says {"format": FORMAT, "kind": "decoder" | "posteriors" | "plane", "dtype": ...,
"arrays": [{"name", "shape", "offset"}, ...]}; an array entry may name its own "dtype" (uint8
images, int16 labels) and "encoding": "deflate" (zlib-compressed bytes of "nbytes" length, which the
browser inflates with its built-in DecompressionStream); "shuffle": w means the inflated bytes are
the array's w-byte values split into w planes (every value's byte 0, then every byte 1, ...): the
exponent bytes of a float32 array, much alike, then compress well (as Blosc and HDF5 shuffle).

A decoder's arrays are the Linear layers in order, "W0", "b0", "W1", ... with W as torch holds it
(out × in: y = W x + b); ReLU between layers and the sigmoid at the end are implied (models.mlp,
models.decode_images). The weights go as float32 rounded to WEIGHT_MANTISSA_BITS of its 23 mantissa
bits, shuffled and deflated: the rounded-off low byte is zero, and MNIST's 0.94 MB of weights
travel as 0.57 MB. Measured on the shipped MNIST decoders at 300 z (inside the disc, near the
codes, and out to |z| = 10) this moves pixels by at most 2.4e-4, under the 1e-3 the browser's plane
must stay within (tests/test_browser_parity.py). float16 would halve the bytes but moves pixels by
up to 5.9e-3 (1.5 grey levels) at |z| ≈ 10, and no single layer can go float16 without passing
1e-3 somewhere. Posteriors are "mu" and "sigma", each (n, 2) float32, exact (shuffled, deflated).
"""

from __future__ import annotations

import functools
import hashlib
import json
import struct
import zlib

import numpy as np
from torch import nn

from vae_geom import uploads
from vae_geom.models import MAX_HIDDEN_LAYERS, MAX_WIDTH, VAE

FORMAT = "vae-geom-payload/1"
DTYPES = {"float16": "<f2", "float32": "<f4", "uint8": "u1", "int16": "<i2"}
WEIGHT_DTYPES = ("float16", "float32")
# float32 weights keep this many of their 23 mantissa bits (rounded to nearest): a relative error
# of at most 2^-16 per weight, at most 2.4e-4 per pixel on the shipped decoders (see above).
# 23 sends them exact.
WEIGHT_MANTISSA_BITS = 15
# Training images go to the browser (for the hover's thumbnails and blend) only up to this many
# compressed bytes: MNIST's 4,000 are 0.65 MB deflated; Fashion's 20,000 would be 8.7 MB, more than
# a whole class should download per student, so there the pinned z's panel (server) shows them.
IMAGES_MAX_BYTES = 1_500_000
# A replay sends the drawn posteriors of at most this many epochs (evenly spaced, the first and the
# last kept): 51 x 2,000 samples x 16 B = 1.6 MB, whatever the number of epochs trained (<= 200).
FRAMES_MAX = 51
# One plane goes to the browser as one websocket message, which server.maxMessageSize caps at
# 20 MB: past this a model's plane is refused with a PayloadError the page shows, where Streamlit
# would otherwise fail the whole message. MNIST's is 1.3 MB; a student's largest model ~5 MB.
PAYLOAD_MAX_BYTES = 16_000_000
ALIGN = 8  # every array starts on a multiple of 8 bytes, so the browser can view it in place
MAX_POSTERIORS = uploads.LIMITS.max_samples  # a training split holds at most this many
MAX_PIXELS = uploads.LIMITS.max_features


class PayloadError(ValueError):
    """A model or posteriors too large, or of a shape the browser's plane cannot draw."""


def decoder_payload(
    model: VAE, dtype: str = "float32", mantissa: int = WEIGHT_MANTISSA_BITS
) -> bytes:
    """The decoder's Linear layers as one payload (MNIST's 234,896 numbers: 0.94 MB as exact
    float32, 0.57 MB rounded to `mantissa` bits and deflated, 0.47 MB as float16)."""
    return _pack("decoder", dtype, _weights(_decoder_arrays(model, dtype), dtype, mantissa))


def _weights(arrays: list, dtype: str, mantissa: int) -> list:
    """The decoder's (name, array) pairs as _pack's entries: float32 rounded to `mantissa` bits,
    shuffled and deflated (float16 as it is: its bytes do not compress)."""
    if dtype == "float16":
        return [(n, a, dtype, None) for n, a in arrays]
    if not 1 <= mantissa <= 23:
        raise PayloadError(f"mantissa must keep 1 to 23 bits, got {mantissa!r}.")
    return _floats([(n, _rounded(a, mantissa)) for n, a in arrays])


def _rounded(a: np.ndarray, mantissa: int) -> np.ndarray:
    """a as float32 with only its top `mantissa` mantissa bits, rounded to nearest (ties away from
    zero). A carry into the exponent is the right rounding; finite weights stay finite unless within
    2^-16 of float32's largest, which no trained layer is."""
    bits = np.ascontiguousarray(a, dtype="<f4").view("<u4")
    drop = 23 - mantissa
    if drop == 0:
        return bits.view("<f4")
    half, mask = np.uint32(1 << (drop - 1)), np.uint32((0xFFFFFFFF << drop) & 0xFFFFFFFF)
    return ((bits + half) & mask).view("<f4")


def _deflated(a: np.ndarray, shuffle: int | None = None) -> tuple[bytes, dict]:
    """a's bytes deflated, first split into `shuffle` byte planes if given (see the docstring at
    the top), and the header fields that say so."""
    raw = np.ascontiguousarray(a)
    if shuffle:
        raw = np.ascontiguousarray(raw.view(np.uint8).reshape(-1, shuffle).T)
    # level 6, zlib's default: level 9 saves 2% of MNIST's images and takes 30x as long (4 s on
    # this machine), and a plane is built while its first student waits
    packed = zlib.compress(raw.tobytes(), 6)
    return packed, {"encoding": "deflate", "nbytes": len(packed)} | (
        {"shuffle": shuffle} if shuffle else {}
    )


def _decoder_arrays(model: VAE, dtype: str) -> list[tuple[str, np.ndarray]]:
    if dtype not in WEIGHT_DTYPES:
        raise PayloadError(f"dtype must be one of {WEIGHT_DTYPES}, got {dtype!r}.")
    linears = [m for m in model.decoder if isinstance(m, nn.Linear)]
    widths = [linears[0].in_features, *(m.out_features for m in linears)] if linears else []
    # The same bounds vae_geom.checkpoints puts on a model from outside, checked again here
    # because this payload is what every browser that opens the model downloads.
    if widths[:1] != [2]:
        raise PayloadError("the decoder must read a 2-D z (the plane).")
    if len(linears) - 1 > MAX_HIDDEN_LAYERS or max(widths[1:-1], default=0) > MAX_WIDTH:
        raise PayloadError(f"at most {MAX_HIDDEN_LAYERS} hidden layers of {MAX_WIDTH} units.")
    if widths[-1] > MAX_PIXELS:
        raise PayloadError(f"at most {MAX_PIXELS:,} pixels per image.")
    arrays = []
    for i, m in enumerate(linears):
        arrays.append((f"W{i}", m.weight.detach().cpu().numpy()))  # (out, in)
        arrays.append((f"b{i}", m.bias.detach().cpu().numpy()))  # (out,)
    return arrays


def posteriors_payload(mu, sigma) -> bytes:
    """The posteriors (each (n, 2)) as float32, exact: 32 kB per 1,000 samples before deflate."""
    return _pack("posteriors", "float32", _floats(_posterior_arrays(mu, sigma)))


def _floats(arrays: list) -> list:
    """(name, array) pairs as exact float32 entries, shuffled and deflated."""
    out = []
    for name, a in arrays:
        a = np.ascontiguousarray(a, dtype="<f4")
        out.append((name, a, "float32", _deflated(a, 4)))
    return out


def _posterior_arrays(mu, sigma, prefix: str = "") -> list[tuple[str, np.ndarray]]:
    mu, sigma = np.asarray(mu), np.asarray(sigma)
    if mu.ndim != 2 or mu.shape[1:] != (2,) or sigma.shape != mu.shape:
        raise PayloadError(f"mu and sigma must be (n, 2) each; got {mu.shape}, {sigma.shape}.")
    if len(mu) > MAX_POSTERIORS:
        raise PayloadError(f"at most {MAX_POSTERIORS:,} posteriors; got {len(mu):,}.")
    finite = np.isfinite(mu).all() and np.isfinite(sigma).all()
    if not finite or (sigma < 0).any():
        raise PayloadError("mu and sigma must be finite, with sigma >= 0.")
    return [(f"{prefix}mu", mu), (f"{prefix}sigma", sigma)]


def plane_payload(
    model: VAE,
    train: tuple[np.ndarray, np.ndarray, np.ndarray],
    shown: tuple[np.ndarray, np.ndarray, np.ndarray],
    meta: dict,
    dtype: str = "float32",
    frames: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> bytes:
    """Everything the browser's plane needs for one model and one set of drawn samples, sent once.

    train = (mu, sigma, images): the TRAINING posteriors and their images in [0, 1], shape (n, D),
    against which the hover weighs z (as vae_geom.probe does on the server); the images go as
    deflated uint8 (exact for 8-bit data) unless they exceed IMAGES_MAX_BYTES, and then not at all
    (the header's meta says so: "images": false). shown = (mu, sigma, labels): what the plane
    draws. meta: JSON the component reads as given (texts, colours, classes, view), plus "id",
    a digest of the whole content, so the browser can tell a new model from a rerun's copy.
    frames = (epochs, mu, sigma), shapes (E,), (E, n, 2), (E, n, 2): a replay of the drawn
    posteriors over training (Train your own), thinned to FRAMES_MAX; the model is the last one.
    """
    train_mu, train_sigma, images = train
    mu, sigma, labels = shown
    labels = np.asarray(labels)
    if labels.shape != (len(np.asarray(mu)),) or (len(labels) and np.abs(labels).max() > 32767):
        raise PayloadError("labels must be one small integer per drawn sample.")
    images = np.asarray(images)
    if images.shape[:1] != (len(np.asarray(train_mu)),) or images.ndim != 2:
        raise PayloadError("one training image (a row of pixels) per training posterior.")
    arrays = _weights(_decoder_arrays(model, dtype), dtype, WEIGHT_MANTISSA_BITS)
    arrays += _floats(_posterior_arrays(train_mu, train_sigma, "train_"))
    arrays += _floats(_posterior_arrays(mu, sigma))
    labels = labels.astype(np.int16)
    arrays.append(("labels", labels, "int16", _deflated(labels, 2)))
    if frames is not None:
        arrays += _frame_arrays(*frames, n=len(labels))
    pixels = np.round(np.clip(images, 0, 1) * 255).astype(np.uint8)
    deflated = _deflated(pixels)
    sent = deflated[1]["nbytes"] <= IMAGES_MAX_BYTES
    if sent:
        arrays.append(("train_images", pixels, "uint8", deflated))
    meta = {**meta, "images": sent}
    if sent:  # the browser inflates a dataset's images once, whichever rung brings them
        meta["train_images_id"] = hashlib.sha256(deflated[0]).hexdigest()[:16]
    blob = _pack("plane", dtype, arrays, meta)
    if len(blob) > PAYLOAD_MAX_BYTES:
        raise PayloadError(
            f"this model's plane would be {len(blob) / 1e6:.1f} MB, more than the "
            f"{PAYLOAD_MAX_BYTES / 1e6:.0f} MB one browser message may carry (its decoder is "
            "too large to run in the browser)."
        )
    return blob


def _frame_arrays(epochs, mu, sigma, n: int) -> list:
    epochs, mu, sigma = np.asarray(epochs), np.asarray(mu), np.asarray(sigma)
    if mu.shape != sigma.shape or mu.shape[1:] != (n, 2) or epochs.shape != mu.shape[:1]:
        raise PayloadError("frames must be (epochs, (E, n, 2), (E, n, 2)) over the drawn samples.")
    if not (np.isfinite(mu).all() and np.isfinite(sigma).all()) or (sigma < 0).any():
        raise PayloadError("frames must be finite, with sigma >= 0.")
    keep = np.unique(np.round(np.linspace(0, len(epochs) - 1, FRAMES_MAX)).astype(int))
    return [
        ("frame_epochs", epochs[keep].astype(np.int16), "int16", None),
        *_floats([("frames_mu", mu[keep]), ("frames_sigma", sigma[keep])]),
    ]


def _pack(kind: str, dtype: str, arrays: list, meta: dict | None = None) -> bytes:
    """Header + arrays, as the module docstring lays them out. `arrays` holds (name, array, its
    dtype, None or _deflated's (bytes, header fields))."""
    raw, entries = [], []
    for name, a, kind_dtype, packed in arrays:
        a = np.ascontiguousarray(a, dtype=DTYPES[kind_dtype])
        entry = {"name": name, "shape": list(a.shape)}
        if kind_dtype != dtype:
            entry["dtype"] = kind_dtype
        if packed is not None:
            entry.update(packed[1])
        raw.append(a if packed is None else np.frombuffer(packed[0], np.uint8))
        entries.append(entry)
    header = {"format": FORMAT, "kind": kind, "dtype": dtype, "arrays": entries}
    if meta is not None:
        digest = hashlib.sha256(json.dumps(meta, sort_keys=True).encode())
        for a in raw:
            digest.update(a.tobytes())
        header["meta"] = {**meta, "id": digest.hexdigest()[:16]}
    # The offsets depend on the header's length, which depends on the offsets' digits: make room
    # for a header whose offsets all have 12 digits, then lay the arrays out after that room.
    widest = json.dumps({**header, "arrays": [{**e, "offset": 10**11} for e in entries]})
    room = _aligned(4 + len(widest))
    offset = room
    for entry, a in zip(entries, raw, strict=True):
        entry["offset"] = offset
        offset = _aligned(offset + a.nbytes)
    out = bytearray(offset)  # zeros: the padding between arrays
    text = json.dumps(header).encode()
    out[:room] = struct.pack("<I", room - 4) + text.ljust(room - 4)
    for entry, a in zip(entries, raw, strict=True):
        out[entry["offset"] : entry["offset"] + a.nbytes] = a.tobytes()
    return bytes(out)


@functools.lru_cache(maxsize=16)  # the blobs come from a cache, the same objects run after run
def stub(blob: bytes) -> bytes:
    """The payload's header alone, marked "stub", without its arrays: what a browser that already
    holds the payload (its meta.id) is sent instead (ui/plane.py; plane.js asks for the bytes if
    it does not hold them after all)."""
    head = header(blob)
    text = json.dumps({**head, "arrays": [], "stub": True}).encode()
    return struct.pack("<I", len(text)) + text


def header(blob: bytes) -> dict:
    """The JSON header of a payload _pack made (its "meta" says, e.g., whether images were sent)."""
    (n,) = struct.unpack_from("<I", blob, 0)
    return json.loads(blob[4 : 4 + n])


def _aligned(n: int) -> int:
    return -(-n // ALIGN) * ALIGN

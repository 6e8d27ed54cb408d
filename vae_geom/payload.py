"""What the latent plane in the browser is sent once per model (issue 14): the decoder's weights and
the training posteriors, as bytes that assets/plane/decode.js reads.

One container for both:

    uint32 little-endian   n, the length of the header in bytes
    n bytes                the header: UTF-8 JSON, padded with spaces so the arrays start 8-aligned
    the arrays             little-endian, row-major, each at its "offset" (from the buffer's start)

The header says {"format": FORMAT, "kind": "decoder" | "posteriors", "dtype": ...,
"arrays": [{"name", "shape", "offset"}, ...]}. A decoder's arrays are the Linear layers in order,
"W0", "b0", "W1", ... with W as torch holds it (out × in: y = W x + b); ReLU between layers and the
sigmoid at the end are implied (models.mlp, models.decode_images). The weights go as float32 by
default: float16 halves the bytes but, measured on the MNIST β = 1 decoder at 300 z, moves pixels
by up to 1.1e-3 near the codes and 5.9e-3 (1.5 grey levels) at |z| ≈ 10, past the 1e-3 the
browser's plane must stay within (tests/test_browser_parity.py); no single layer can go float16
without passing 1e-3 somewhere. Posteriors are "mu" and "sigma", each (n, 2) float32.
"""

from __future__ import annotations

import json
import struct

import numpy as np
from torch import nn

from vae_geom import uploads
from vae_geom.models import MAX_HIDDEN_LAYERS, MAX_WIDTH, VAE

FORMAT = "vae-geom-payload/1"
DTYPES = {"float16": "<f2", "float32": "<f4"}
ALIGN = 8  # every array starts on a multiple of 8 bytes, so the browser can view it in place
MAX_POSTERIORS = uploads.LIMITS.max_samples  # a training split holds at most this many
MAX_PIXELS = uploads.LIMITS.max_features


class PayloadError(ValueError):
    """A model or posteriors too large, or of a shape the browser's plane cannot draw."""


def decoder_payload(model: VAE, dtype: str = "float32") -> bytes:
    """The decoder's Linear layers as one payload (MNIST's 234,896 numbers: 0.94 MB as float32,
    0.47 MB as float16)."""
    if dtype not in DTYPES:
        raise PayloadError(f"dtype must be one of {tuple(DTYPES)}, got {dtype!r}.")
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
    return _pack("decoder", dtype, arrays)


def posteriors_payload(mu, sigma) -> bytes:
    """The posteriors (each (n, 2)) as float32: 32 kB per 1,000 samples."""
    mu, sigma = np.asarray(mu), np.asarray(sigma)
    if mu.ndim != 2 or mu.shape[1:] != (2,) or sigma.shape != mu.shape:
        raise PayloadError(f"mu and sigma must be (n, 2) each; got {mu.shape}, {sigma.shape}.")
    if len(mu) > MAX_POSTERIORS:
        raise PayloadError(f"at most {MAX_POSTERIORS:,} posteriors; got {len(mu):,}.")
    finite = np.isfinite(mu).all() and np.isfinite(sigma).all()
    if not finite or (sigma < 0).any():
        raise PayloadError("mu and sigma must be finite, with sigma >= 0.")
    return _pack("posteriors", "float32", [("mu", mu), ("sigma", sigma)])


def _pack(kind: str, dtype: str, arrays: list[tuple[str, np.ndarray]]) -> bytes:
    """Header + arrays, as the module docstring lays them out."""
    raw = [np.ascontiguousarray(a, dtype=DTYPES[dtype]) for _, a in arrays]
    entries = [{"name": n, "shape": list(a.shape)} for (n, _), a in zip(arrays, raw, strict=True)]
    header = {"format": FORMAT, "kind": kind, "dtype": dtype, "arrays": entries}
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


def _aligned(n: int) -> int:
    return -(-n // ALIGN) * ALIGN

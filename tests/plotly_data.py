"""Read arrays back out of a plotly figure's JSON (plotly >= 6 ships them as base64 `bdata`)."""

from __future__ import annotations

import base64

import numpy as np


def array(value) -> np.ndarray:
    """A trace attribute as a numpy array, whether a plain list or {'dtype', 'bdata'[, 'shape']}."""
    if isinstance(value, dict) and "bdata" in value:
        out = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        shape = value.get("shape")
        return out.reshape([int(s) for s in str(shape).split(",")]) if shape else out
    return np.asarray(value)

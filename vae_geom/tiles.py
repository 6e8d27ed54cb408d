"""Images laid out for the browser: tiled into one mosaic, and scaled up by a whole factor.

A decoded digit is 8x8 or 28x28 pixels; a browser asked to show it larger blurs it. Scaling by a
whole factor with nearest-neighbour pixels keeps every grey level a crisp square.
"""

from __future__ import annotations

import numpy as np


def upscale(image: np.ndarray, size: int = 160) -> np.ndarray:
    """Nearest-neighbour upscaling so the browser shows crisp pixels, not a blurred thumbnail."""
    f = max(1, size // max(image.shape))
    return np.kron(np.clip(image, 0, 1), np.ones((f, f), dtype=np.float32))


def mosaic(images: np.ndarray, image_shape: tuple[int, int], cols: int, pad: int = 1) -> np.ndarray:
    """Tile images of shape (n, D) into one array of shape (rows*(h+pad)+pad, cols*(w+pad)+pad).

    The padding is white (1.0), a frame around each tile.
    """
    h, w = image_shape
    n = len(images)
    rows = max(1, -(-n // cols))
    out = np.ones((rows * (h + pad) + pad, cols * (w + pad) + pad), dtype=np.float32)
    for i, img in enumerate(images):
        r, c = divmod(i, cols)
        out[
            pad + r * (h + pad) : pad + r * (h + pad) + h,
            pad + c * (w + pad) : pad + c * (w + pad) + w,
        ] = img.reshape(h, w)
    return out

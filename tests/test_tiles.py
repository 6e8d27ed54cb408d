"""Tiling and upscaling keep every pixel's grey level: nearest neighbour, white padding."""

from __future__ import annotations

import numpy as np

from vae_geom import tiles


def test_upscale_and_mosaic_keep_pixels_crisp():
    img = np.arange(4, dtype=np.float32).reshape(2, 2) / 3
    big = tiles.upscale(img, 8)
    assert big.shape == (8, 8) and set(np.unique(big)) == set(np.unique(img))
    m = tiles.mosaic(np.stack([img.ravel()] * 3), (2, 2), cols=2, pad=1)
    assert m.shape == (2 * 3 + 1, 2 * 3 + 1)
    np.testing.assert_array_equal(m[1:3, 4:6], img)

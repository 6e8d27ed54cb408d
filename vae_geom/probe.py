"""What the latent plane says at one point z: the decoded image, the prior density there, and the
posteriors that cover z, whose images the decoder blends (one reason VAE outputs look blurry).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vae_geom import geometry
from vae_geom.i18n import Text, TextError
from vae_geom.models import VAE, decode_images

Z_LIMIT = 10.0  # clicks and URLs beyond |z| = 10 (2.5 plot widths) are refused


class ZError(TextError, geometry.GeometryError):
    """A z that cannot be probed (a link's or a click's); its message in either language (a Text
    of the probe.z.* catalogue keys; str() is the English)."""


@dataclass(frozen=True)
class Probe:
    """The answer at z. Images are float32 (h, w) in [0, 1]."""

    z: tuple[float, float]
    image: np.ndarray  # decode(z)
    prior_density: float  # p(z) = N(z; 0, I)
    top: np.ndarray  # indices of the covering posteriors, most responsible first
    weights: np.ndarray  # their responsibilities (sum <= 1)
    blend: np.ndarray | None  # sum_i r_i x_i over ALL posteriors: what "averaging" would draw
    inside: int  # how many posteriors' 2-sigma ellipses contain z (0: z is in a hole)


def check_z(z, limit: float = Z_LIMIT) -> tuple[float, float]:
    """z as two finite floats within [-limit, limit]; a GeometryError says what is wrong."""
    try:
        x, y = (float(v) for v in z)
    except (TypeError, ValueError) as e:
        raise ZError(Text("probe.z.numbers", value=repr(z))) from e
    if not (np.isfinite(x) and np.isfinite(y)):
        raise ZError(Text("probe.z.finite"))
    if max(abs(x), abs(y)) > limit:
        raise ZError(Text("probe.z.outside", x=x, y=y, limit=limit))
    return x, y


def probe(
    model: VAE,
    images: np.ndarray,
    mu: np.ndarray,
    sigma: np.ndarray,
    z,
    image_shape: tuple[int, int],
    top: int = 5,
    min_weight: float = 0.01,
) -> Probe:
    """Decode z and find the posteriors (of the samples `images`, shape (n, D)) that claim it.

    To say what the decoder learned at z, pass the TRAINING split's images and posteriors: a hole
    is where none of those reaches, and the blend is the average of the images it was taught."""
    z = check_z(z)
    img = decode_images(model, np.array([z]))[0].reshape(image_shape)
    r = geometry.responsibilities(z, mu, sigma)  # (n,), zeros for an AE
    order = np.argsort(-r)[:top]
    order = order[r[order] >= min_weight]
    blend = _blend(r, images, image_shape) if r.sum() > 0 else None
    density = float(np.exp(geometry.log_prior_density(z)))
    inside = int(geometry.covered_by(z, mu, sigma, k=2.0).sum())
    return Probe(z, img, density, order, r[order], blend, inside)


def _blend(r: np.ndarray, images: np.ndarray, image_shape: tuple[int, int]) -> np.ndarray:
    """sum_i r_i x_i, over the posteriors that claim z at all (r_i > 1e-12): the rest add less than
    n * 1e-12 to any pixel, and skipping them avoids touching every image on every click."""
    idx = np.flatnonzero(r > 1e-12)
    return (r[idx].astype(np.float32) @ images[idx]).reshape(image_shape)


def nearest_codes(z, mu: np.ndarray, k: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """For points (an AE): the k codes nearest to z and their distances."""
    d = np.linalg.norm(np.asarray(mu) - np.asarray(z, dtype=np.float64), axis=1)
    order = np.argsort(d)[:k]
    return order, d[order]

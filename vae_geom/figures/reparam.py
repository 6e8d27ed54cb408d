"""Figures of the Reparameterisation page: K draws of eps around the unit circle, the same draws
moved and stretched into one sample's ellipse (z = mu + eps * sigma), and that sample marked on the
plane.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from vae_geom.figures.plane import HOLE, outline, points, prior_circles, style_plane
from vae_geom.i18n import t


def _numbered(z: np.ndarray, name: str, hover: str) -> go.Scatter:
    """Draws labelled 0, 1, 2, ... so draw i in eps space can be found as point i in z space."""
    trace = points(z, name, hover, mode="markers+text", size=8, color="#1f77b4")
    return trace.update(text=[str(i) for i in range(len(z))], textposition="top center")


def reparam_figures(
    eps: np.ndarray, z: np.ndarray, mu_i: np.ndarray, sigma_i: np.ndarray, lang: str = "en"
):
    """(eps space, z space): the same K draws before and after z = mu + eps * sigma; their
    titles, legends and hover texts in `lang`."""
    left = go.Figure(
        [
            *prior_circles(lang=lang),
            _numbered(eps, t("reparam.fig.eps_draws", lang), t("reparam.fig.eps_hover", lang)),
        ]
    )
    style_plane(left, t("reparam.fig.eps_title", lang), limit=3.5)
    reach = float(max(3.2 * sigma_i.max(), 0.05))
    right = go.Figure()
    for k, dash in [(1.0, "solid"), (2.0, "dash")]:
        name = t("reparam.fig.ellipse", lang, k=f"{k:g}")
        right.add_trace(outline(mu_i, sigma_i, k, name, 96, color=HOLE, dash=dash))
    right.add_trace(_numbered(z, t("reparam.fig.z_draws", lang), t("reparam.fig.z_hover", lang)))
    right.add_trace(
        go.Scatter(
            x=[mu_i[0]],
            y=[mu_i[1]],
            mode="markers",
            name=t("reparam.fig.mu", lang),
            marker=dict(symbol="x", size=12, color="black"),
        )
    )
    style_plane(right, t("reparam.fig.z_title", lang))
    right.update_xaxes(range=[mu_i[0] - reach, mu_i[0] + reach])
    right.update_yaxes(range=[mu_i[1] - reach, mu_i[1] + reach])
    for f in (left, right):
        f.update_layout(height=460)
    return left, right

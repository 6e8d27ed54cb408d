"""Figures of the Reparameterisation page: K draws of eps around the unit circle, the same draws
moved and stretched into one sample's ellipse (z = mu + eps * sigma), and that sample marked on the
plane.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from vae_geom.figures.plane import HOLE, outline, points, prior_circles, style_plane


def _numbered(z: np.ndarray, name: str, hover: str) -> go.Scatter:
    """Draws labelled 0, 1, 2, ... so draw i in eps space can be found as point i in z space."""
    trace = points(z, name, hover, mode="markers+text", size=8, color="#1f77b4")
    return trace.update(text=[str(i) for i in range(len(z))], textposition="top center")


def reparam_figures(eps: np.ndarray, z: np.ndarray, mu_i: np.ndarray, sigma_i: np.ndarray):
    """(eps space, z space): the same K draws before and after z = mu + eps * sigma."""
    left = go.Figure([*prior_circles(), _numbered(eps, "ε draws", "ε = (%{x:.2f}, %{y:.2f})")])
    style_plane(left, "ε ~ N(0, I): around the unit circle", limit=3.5)
    reach = float(max(3.2 * sigma_i.max(), 0.05))
    right = go.Figure()
    for k, dash in [(1.0, "solid"), (2.0, "dash")]:
        right.add_trace(outline(mu_i, sigma_i, k, f"{k:g}σ ellipse", 96, color=HOLE, dash=dash))
    right.add_trace(_numbered(z, "z = μ + ε⊙σ", "z = (%{x:.3f}, %{y:.3f})"))
    right.add_trace(
        go.Scatter(
            x=[mu_i[0]],
            y=[mu_i[1]],
            mode="markers",
            name="μ",
            marker=dict(symbol="x", size=12, color="black"),
        )
    )
    style_plane(right, "z = μ + ε ⊙ σ: the same draws, in this sample's ellipse")
    right.update_xaxes(range=[mu_i[0] - reach, mu_i[0] + reach])
    right.update_yaxes(range=[mu_i[1] - reach, mu_i[1] + reach])
    for f in (left, right):
        f.update_layout(height=460)
    return left, right


def highlight(fig: go.Figure, mu_i: np.ndarray, sigma_i: np.ndarray) -> go.Figure:
    """Mark one posterior on a latent figure: its 2-sigma outline in bold."""
    # at least 0.03 wide, so a collapsed posterior (an AE's point) is still visible as a ring
    sigma_i = np.maximum(sigma_i, 0.03)
    return fig.add_trace(
        outline(mu_i, sigma_i, 2.0, "selected sample (2σ)", color="black", width=3)
    )

"""Figures of the Code-space-shapes page: a point set over the prior, and what the measures see.

Arrays in, `go.Figure` out; never Streamlit. Every plane is the shared one (`figures.style_plane`:
fixed axes, 1:1 aspect) with the prior's 1 and 2 sigma circles, so a shape is always seen against
the disc the VAE's KL term asks for.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from vae_geom import figures, geometry, shapes

POINTS = "#1f77b4"
GAP = "rgba(214,39,40,0.55)"  # red: an empty cell, as in the app's holes maps
RINGS = "#ff7f0e"  # orange: the centre and surroundings the central-hole measure compares
LEGEND_Y = -0.22  # lower than the shared plane's legend (-0.08), which hides the z1 axis title


def _points(p: np.ndarray, name: str, size: float = 4, colour: str = POINTS) -> go.Scatter:
    return go.Scatter(
        x=p[:, 0],
        y=p[:, 1],
        mode="markers",
        name=name,
        marker=dict(color=colour, size=size, opacity=0.7),
        hovertemplate="(%{x:.2f}, %{y:.2f})<extra></extra>",
    )


def _circle(r: float, name: str, dash: str = "dot") -> go.Scatter:
    t = np.linspace(0, 2 * np.pi, 97)
    return go.Scatter(
        x=r * np.cos(t),
        y=r * np.sin(t),
        mode="lines",
        name=name,
        hoverinfo="skip",
        line=dict(color=RINGS, width=2, dash=dash),
    )


def shape_figure(points: np.ndarray, title: str, height: int = 270) -> go.Figure:
    """A point set of shape (n, 2) over the prior's circles, on the fixed [-4, 4] plane."""
    fig = go.Figure([_points(points, "points"), *figures.prior_circles()])
    figures.style_plane(fig, title)
    fig.update_layout(height=height, showlegend=False, margin=dict(l=30, r=10, t=30, b=30))
    return fig


def codes_figure(
    mu: np.ndarray, labels: np.ndarray, label_name: str, title: str, height: int = 460
) -> go.Figure:
    """A model's mu codes, coloured by label, on a plane wide enough to hold them (>= [-4, 4])."""
    fig = figures.latent_figure(
        mu,
        np.zeros_like(mu),
        labels,
        label_name=label_name,
        title=title,
        show_ellipses=False,
        limit=geometry.plane_limit(mu),
    )
    fig.update_layout(height=height, legend_y=LEGEND_Y)
    return fig


def whitened_figure(w: np.ndarray, gaps: np.ndarray, title: str, height: int = 460) -> go.Figure:
    """The whitened points w (n, 2), the gap cells (bool (G, G) on `geometry.Grid()`) in red,
    and the radii 3/4 and 3/2 whose densities the central-hole measure compares."""
    grid = geometry.Grid()
    cells = go.Heatmap(
        x=grid.centres,
        y=grid.centres,
        z=gaps.astype(float),
        zmin=0,
        zmax=1,
        showscale=False,
        hoverinfo="skip",
        colorscale=[[0, "rgba(0,0,0,0)"], [1, GAP]],
        name="gap cells",
    )
    fig = go.Figure(
        [
            cells,
            *figures.prior_circles(),
            _circle(shapes.CENTRE, "centre: |w| < 3/4", "solid"),
            _circle(shapes.AROUND, "surroundings: |w| < 3/2"),
            _points(w, "whitened codes w", size=3, colour="#333"),
        ]
    )
    figures.style_plane(fig, title)
    fig.update_layout(height=height, showlegend=False)  # the page's caption is the key
    fig.update_xaxes(title="w₁")
    fig.update_yaxes(title="w₂")
    return fig

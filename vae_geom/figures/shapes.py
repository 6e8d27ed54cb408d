"""Figures of the Code-space-shapes page: a point set over the prior, and what the measures see.

Arrays in, `go.Figure` out; never Streamlit. Every plane is the shared one (`plane.style_plane`:
fixed axes, 1:1 aspect) with the prior's 1 and 2 sigma circles, so a shape is always seen against
the disc the VAE's KL term asks for.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from vae_geom import geometry, shapes
from vae_geom.figures import plane
from vae_geom.i18n import t

POINTS = "#1f77b4"
RINGS = "#ff7f0e"  # orange: the centre and surroundings the central-hole measure compares
LEGEND_Y = -0.22  # lower than the shared plane's legend (-0.08), which hides the z1 axis title


def _points(p: np.ndarray, name: str, size: float = 4, colour: str = POINTS) -> go.Scatter:
    return plane.points(p, name, size=size, color=colour, opacity=0.7)


def _circle(r: float, name: str, dash: str = "dot") -> go.Scatter:
    return plane.circle(r, name, vertices=97, color=RINGS, width=2, dash=dash)


def shape_figure(points: np.ndarray, title: str, height: int = 270, lang: str = "en") -> go.Figure:
    """A point set of shape (n, 2) over the prior's circles, on the fixed [-4, 4] plane."""
    fig = go.Figure(
        [_points(points, t("figures.shapes.points", lang)), *plane.prior_circles(lang=lang)]
    )
    plane.style_plane(fig, title)
    fig.update_layout(height=height, showlegend=False, margin=dict(l=30, r=10, t=30, b=30))
    return fig


def codes_figure(
    mu: np.ndarray,
    labels: np.ndarray,
    label_name: str,
    title: str,
    height: int = 460,
    class_names: tuple[str, ...] = (),
    lang: str = "en",
) -> go.Figure:
    """A model's mu codes, coloured by label, on a plane wide enough to hold them (>= [-4, 4])."""
    fig = plane.latent_figure(
        mu,
        np.zeros_like(mu),
        labels,
        label_name=label_name,
        class_names=class_names,
        title=title,
        show_ellipses=False,
        limit=geometry.plane_limit(mu),
        lang=lang,
    )
    fig.update_layout(height=height, legend_y=LEGEND_Y)
    return fig


def whitened_figure(
    w: np.ndarray, gaps: np.ndarray, title: str, height: int = 460, lang: str = "en"
) -> go.Figure:
    """The whitened points w (n, 2), the gap cells (bool (G, G) on `geometry.Grid()`) in red,
    and the radii 3/4 and 3/2 whose densities the central-hole measure compares."""
    grid = geometry.Grid()
    name = t("figures.shapes.gap_cells", lang)
    cells = plane.cells(grid.centres, gaps, alpha=0.55, name=name)  # as the holes maps
    fig = go.Figure(
        [
            cells,
            *plane.prior_circles(lang=lang),
            _circle(shapes.CENTRE, t("figures.shapes.centre", lang), "solid"),
            _circle(shapes.AROUND, t("figures.shapes.around", lang)),
            _points(w, t("figures.shapes.whitened", lang), size=3, colour="#333"),
        ]
    )
    plane.style_plane(fig, title)
    fig.update_layout(height=height, showlegend=False)  # the page's caption is the key
    fig.update_xaxes(title="w₁")
    fig.update_yaxes(title="w₂")
    return fig

"""Figures of the Generate page: the latent plane with prior samples, the manifold grid or a path.

Arrays in, `go.Figure` out; never Streamlit. Each figure is the shared latent plane
(`plane.latent_figure`: the test posteriors and the prior's circles) with the z that the page
decodes drawn on top, so the student sees *where* each decoded image comes from.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from vae_geom.figures import plane
from vae_geom.figures.plane import HOLE

OUTSIDE = "#ff7f0e"  # orange: a z beyond the prior's 2-sigma circle


def _plane(
    mu, sigma, labels, label_name: str, title: str, height: int, class_names: tuple[str, ...] = ()
) -> go.Figure:
    fig = plane.latent_figure(
        mu, sigma, labels, label_name=label_name, title=title, class_names=class_names
    )
    fig.update_layout(height=height)
    return fig


def _points(z: np.ndarray, name: str, hover: str, **marker) -> go.Scatter:
    """Points numbered 0, 1, ... in their hover text, which also gives z."""
    hover += " · z = (%{x:.2f}, %{y:.2f})"
    return plane.points(z, name, hover, customdata=np.arange(len(z)), **marker)


def samples_figure(
    mu,
    sigma,
    labels,
    z: np.ndarray,
    hole: np.ndarray,
    label_name: str = "label",
    height=560,
    class_names: tuple[str, ...] = (),
) -> go.Figure:
    """Prior samples z of shape (n, 2) over the posteriors; those in a hole (bool (n,)) in red."""
    title = "z ~ N(0, I): where the samples land"
    fig = _plane(mu, sigma, labels, label_name, title, height, class_names)
    idx = np.arange(len(z))
    for mask, name, marker in [
        (~hole, "sample inside a training 2σ ellipse", dict(color="black", size=8)),  # circles
        (hole, "sample in a hole (no training 2σ ellipse)", dict(color=HOLE, size=10, symbol="x")),
    ]:
        trace = _points(z[mask], name, "sample #%{customdata}", **marker)
        trace.customdata = idx[mask]  # the sample's place in the mosaic, row by row
        fig.add_trace(trace)
    return fig


def grid_figure(
    mu,
    sigma,
    labels,
    z: np.ndarray,
    spacing: str,
    label_name: str = "label",
    height=560,
    class_names: tuple[str, ...] = (),
) -> go.Figure:
    """The manifold grid's z (shape (g*g, 2)) as small dots over the posteriors."""
    fig = _plane(mu, sigma, labels, label_name, f"the {spacing} grid's z", height, class_names)
    fig.add_trace(_points(z, "grid point", "tile #%{customdata}", color="black", size=5))
    return fig


def path_figure(
    mu,
    sigma,
    labels,
    path: np.ndarray,
    hole: np.ndarray,
    outside: np.ndarray,
    label_name: str = "label",
    class_names: tuple[str, ...] = (),
) -> go.Figure:
    """The linear path A -> B (shape (steps, 2)) with its steps, flagged by hole and by disc."""
    fig = _plane(mu, sigma, labels, label_name, "z(t) = (1 − t) A + t B", 640, class_names)
    t = np.linspace(0, 1, len(path))
    fig.add_trace(
        go.Scatter(
            x=path[:, 0],
            y=path[:, 1],
            mode="lines+markers",
            name="path step",
            line=dict(color="black", width=2),
            marker=dict(color="black", size=7),
            customdata=t,
            hovertemplate="t = %{customdata:.2f} · z = (%{x:.2f}, %{y:.2f})<extra></extra>",
        )
    )
    for mask, name, marker in [
        (outside, "outside the prior's 2σ circle", dict(color=OUTSIDE, size=16)),
        (hole, "in a hole (no training 2σ ellipse)", dict(color=HOLE, size=11)),
    ]:
        fig.add_trace(
            _points(path[mask], name, "step", symbol="circle-open", line=dict(width=2), **marker)
        )
    fig.add_trace(
        go.Scatter(
            x=path[[0, -1], 0],
            y=path[[0, -1], 1],
            mode="markers+text",
            text=["A", "B"],
            textposition="top center",
            textfont=dict(size=18, color="black"),
            marker=dict(color="white", size=12, line=dict(color="black", width=2)),
            name="A and B",
            hoverinfo="skip",
        )
    )
    return fig

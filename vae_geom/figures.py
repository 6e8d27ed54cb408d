"""Plotly figure builders: numpy arrays in, `go.Figure` out. Never Streamlit.

The latent plane follows DESIGN.md's measured recipe: all ellipses of a class as ONE filled
`go.Scatter` trace (float32 arrays with NaN separators, no hover), never `layout.shapes` or a
filled `Scattergl`, which are seconds slower per redraw without a GPU.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative

from vae_geom import geometry

COLOURS = qualitative.D3  # 10 distinct colours: one per digit class
PLANE = geometry.GRID_LIMIT  # the axes span [-4, 4] in latent units on every page


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def prior_circles(ks=(1.0, 2.0)) -> list[go.Scatter]:
    """The prior N(0, I) as its k-sigma circles (1 sigma holds 39% of its mass, 2 sigma 86%)."""
    t = np.linspace(0, 2 * np.pi, 121)
    return [
        go.Scatter(
            x=k * np.cos(t),
            y=k * np.sin(t),
            mode="lines",
            hoverinfo="skip",
            line=dict(
                color="black", width=2 if k == 1 else 1.2, dash="solid" if k == 1 else "dash"
            ),
            name=f"prior {k:g}σ circle",
            legendgroup="prior",
        )
        for k in ks
    ]


def latent_figure(
    mu: np.ndarray,
    sigma: np.ndarray,
    labels: np.ndarray,
    k: float = 1.0,
    label_name: str = "label",
    title: str | None = None,
    show_ellipses: bool = True,
) -> go.Figure:
    """Each posterior as a filled k-sigma ellipse and a mu marker coloured by label."""
    fig = go.Figure()
    classes = np.unique(labels)
    for c in classes:
        sel = labels == c
        colour = COLOURS[int(c) % len(COLOURS)]
        if show_ellipses and (sigma[sel] > 0).any():
            xy = geometry.ellipse_outlines(mu[sel], sigma[sel], k=k)
            fig.add_trace(
                go.Scatter(
                    x=xy[:, 0],
                    y=xy[:, 1],
                    mode="lines",
                    fill="toself",
                    hoverinfo="skip",
                    fillcolor=_rgba(colour, 0.12),
                    line=dict(color=_rgba(colour, 0.45), width=0.6),
                    name=f"{label_name} {c}: {k:g}σ ellipses",
                    legendgroup=str(c),
                    showlegend=False,
                )
            )
        idx = np.flatnonzero(sel)
        fig.add_trace(
            go.Scattergl(
                x=mu[sel, 0],
                y=mu[sel, 1],
                mode="markers",
                name=f"{label_name} {c}",
                legendgroup=str(c),
                marker=dict(color=colour, size=4),
                customdata=idx,
                hovertemplate=f"sample %{{customdata}} · {label_name} {c}"
                "<br>μ = (%{x:.2f}, %{y:.2f})<extra></extra>",
            )
        )
    for trace in prior_circles():
        fig.add_trace(trace)
    return style_plane(fig, title)


def style_plane(fig: go.Figure, title: str | None = None, limit: float = PLANE) -> go.Figure:
    """Fixed axes [-limit, limit] in latent units, 1:1 aspect, no zoom drift between reruns."""
    fig.update_layout(
        title=title,
        height=700,
        margin=dict(l=40, r=10, t=40 if title else 10, b=10),
        # below the plane, so the plane itself gets the column's whole width
        legend=dict(
            itemsizing="constant",
            font=dict(size=11),
            orientation="h",
            x=0.5,
            xanchor="center",
            y=-0.08,
            yanchor="top",
        ),
        plot_bgcolor="white",
        uirevision="latent",  # keep the user's zoom when the data change
    )
    axis = dict(
        range=[-limit, limit],
        zeroline=True,
        zerolinecolor="#ddd",
        gridcolor="#eee",
        showline=True,
        linecolor="#999",
        mirror=True,
        constrain="domain",
    )
    fig.update_xaxes(title="z₁", **axis)
    fig.update_yaxes(title="z₂", scaleanchor="x", scaleratio=1, **axis)
    return fig


def clickable(fig: go.Figure) -> go.Figure:
    """Let a click anywhere in the plot area (empty space too) emit plotly_click with its z."""
    fig.update_layout(clickmode="event", hovermode="closest", clickanywhere=True)
    return fig

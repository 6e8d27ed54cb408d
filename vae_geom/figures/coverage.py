"""Figures of the KL and coverage page: coverage and holes against beta, reconstruction against
KL, the aggregate posterior q(z) beside the prior p(z), the holes map, and the ladder's animation.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from vae_geom import collapse
from vae_geom.figures.plane import cells, latent_figure, prior_circles, style_plane


def ladder_curves(rows: list[dict]) -> go.Figure:
    """Coverage and holes against beta (a categorical axis: beta = 0 means the KL is off).

    A collapsed rung (`collapse.collapsed`) is marked "collapsed" at its coverage: there the curve
    bends down to the prior's own 1-sigma mass, because every ellipse is the prior itself.
    """
    x = ["off" if r["beta"] == 0 else f"{r['beta']:g}" for r in rows]
    fig = go.Figure()
    for key, name, dash in [
        ("coverage_1", "coverage₁ (1σ ellipses)", "solid"),
        ("coverage_2", "coverage₂ (2σ ellipses)", "dot"),
        ("holes_fraction", "holes (share of the 2σ disc)", "dash"),
    ]:
        fig.add_trace(
            go.Scatter(
                x=x, y=[r[key] for r in rows], name=name, mode="lines+markers", line=dict(dash=dash)
            )
        )
    for i, r in enumerate(rows):
        if collapse.collapsed(r["kl"], r["code_spread"]):
            # on a category axis an annotation's x is the category's index: the label "3" would
            # be read as index 3, the rung beta = 1 (seen in a browser)
            fig.add_annotation(  # its label up and to the left: the last rung is at the edge
                x=i, y=r["coverage_1"], text="collapsed", showarrow=True, ax=-40, ay=-30
            )
    fig.update_layout(
        height=360,
        margin=dict(l=40, r=10, t=30, b=40),
        legend=dict(y=-0.25, orientation="h"),
        title="The KL term makes the union cover the prior",
    )
    fig.update_xaxes(title="KL weight β", type="category")
    fig.update_yaxes(title="share", range=[0, 1], tickformat=".0%")
    return fig


def rate_distortion(rows: list[dict]) -> go.Figure:
    """Reconstruction (distortion) against KL (rate), one point per beta."""
    fig = go.Figure(
        go.Scatter(
            x=[r["kl"] for r in rows],
            y=[r["recon"] for r in rows],
            mode="lines+markers+text",
            text=["KL off" if r["beta"] == 0 else f"β = {r['beta']:g}" for r in rows],
            # the largest KL (the KL off) sits at the right edge: its label goes left, inside
            textposition=[
                "top left" if r["kl"] == max(q["kl"] for q in rows) else "top right" for r in rows
            ],
            hovertemplate="KL %{x:.2f} nats<br>recon %{y:.1f} nats<extra></extra>",
        )
    )
    fig.update_layout(
        height=360,
        margin=dict(l=40, r=10, t=30, b=40),
        title="Reconstruction resists: less KL, sharper codes",
    )
    fig.update_xaxes(title="KL(q(z|x) ‖ p(z)) per image (nats, log scale)", type="log")
    fig.update_yaxes(title="reconstruction −log p(x|z) (nats)")
    return fig


def density_map(
    grid_centres: np.ndarray,
    density: np.ndarray,
    title: str,
    zmax: float,
    colorscale: str = "Viridis",
) -> go.Figure:
    """A density on the latent grid (indexed [iy, ix]) as a heat map over the fixed plane."""
    fig = go.Figure(
        go.Heatmap(
            x=grid_centres,
            y=grid_centres,
            z=density,
            zmin=0,
            zmax=zmax,
            colorscale=colorscale,
            colorbar=dict(title="density", len=0.8),
            hovertemplate="z = (%{x:.2f}, %{y:.2f})<br>%{z:.3f}<extra></extra>",
        )
    )
    for trace in prior_circles():
        trace.line.color = "white"
        trace.showlegend = False
        fig.add_trace(trace)
    fig = style_plane(fig, title)
    fig.update_layout(height=420, showlegend=False)
    return fig


def holes_figure(grid_centres: np.ndarray, holes: np.ndarray, title: str) -> go.Figure:
    """Cells inside the prior's 2-sigma disc where q < 0.1 p, in red; the rest transparent."""
    fig = go.Figure(cells(grid_centres, holes, alpha=0.75))
    for trace in prior_circles():
        trace.showlegend = False
        fig.add_trace(trace)
    fig = style_plane(fig, title)
    fig.update_layout(height=420, showlegend=False)
    return fig


def ladder_animation(
    frames: list[tuple[str, np.ndarray, np.ndarray]], labels: np.ndarray, label_name: str = "label"
) -> go.Figure:
    """The latent figure for each rung as an animation frame, with play and a beta slider.

    `frames` is [(name, mu, sigma), ...]; every frame has the same traces in the same order, so
    plotly can step between them in the browser without asking the server.
    """
    figs = [
        latent_figure(mu, sigma, labels, label_name=label_name, keep_empty=True)
        for _, mu, sigma in frames
    ]
    fig = go.Figure(
        data=figs[-1].data,
        layout=figs[-1].layout,
        frames=[
            go.Frame(data=f.data, name=name) for (name, _, _), f in zip(frames, figs, strict=True)
        ],
    )
    steps = [
        dict(
            method="animate",
            label=name,
            args=[
                [name],
                dict(
                    mode="immediate",
                    frame=dict(duration=600, redraw=True),
                    transition=dict(duration=0),
                ),
            ],
        )
        for name, _, _ in frames
    ]
    fig.update_layout(
        sliders=[
            dict(
                active=len(frames) - 1,
                steps=steps,
                y=-0.02,
                len=0.8,
                x=0.15,
                currentvalue=dict(prefix="KL weight: "),
            )
        ],
        updatemenus=[
            dict(
                type="buttons",
                showactive=False,
                x=0.0,
                y=-0.02,
                xanchor="left",
                yanchor="top",
                buttons=[
                    dict(
                        label="▶ play",
                        method="animate",
                        args=[
                            None,
                            dict(
                                frame=dict(duration=900, redraw=True),
                                fromcurrent=False,
                                mode="immediate",
                            ),
                        ],
                    )
                ],
            )
        ],
        legend=dict(orientation="v", x=1.02, y=1, xanchor="left", yanchor="top"),
        margin=dict(l=40, r=10, t=10, b=90),
    )
    return fig

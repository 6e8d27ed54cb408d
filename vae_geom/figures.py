"""Plotly figure builders: numpy arrays in, `go.Figure` out. Never Streamlit.

The latent plane follows DESIGN.md's measured recipe: all ellipses of a class as ONE filled
`go.Scatter` trace (float32 arrays with NaN separators, no hover), never `layout.shapes` or a
filled `Scattergl`, which are seconds slower per redraw without a GPU.
"""

from __future__ import annotations

import numpy as np
import pandas  # noqa: F401 - imported whole before any figure is built: see below
import plotly.graph_objects as go
from plotly.colors import qualitative

from vae_geom import geometry

# Why pandas: plotly's validators look for it in sys.modules without importing it. When one
# session's script thread is still importing pandas, another's sees the half-made module and
# raises AttributeError ("partially initialized module 'pandas' has no attribute 'Series'"): 18 of
# 20 sessions opening a fresh server at once failed so (bench/load_sessions.py). A module-level
# import finishes under Python's import lock before any thread can use this module.
COLOURS = qualitative.D3  # 10 distinct colours: one per digit class
PLANE = geometry.GRID_LIMIT  # the axes span [-4, 4] in latent units on every page
# 16 vertices per ellipse: smooth at the sizes drawn (a few to ~30 px), and a third less to send
# and redraw than 24 (10,000 ellipses: 3.7 -> 2.7 MB; BENCHMARKS.md, "App speed")
ELLIPSE_VERTICES = 16
# Above this many ellipses they are drawn filled without an outline: stroking 5,000 outlines is a
# third of the browser's redraw when beta changes (p50 0.93 -> 0.65 s; BENCHMARKS.md), and at that
# density the outlines merge into a tangle anyway.
OUTLINE_MAX = 2_000


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
    keep_empty: bool = False,
    limit: float = PLANE,
) -> go.Figure:
    """Each posterior as a filled k-sigma ellipse and a mu marker coloured by label."""
    fig = go.Figure()
    classes = np.unique(labels)
    outline = len(mu) <= OUTLINE_MAX
    for c in classes:
        sel = labels == c
        colour = COLOURS[int(c) % len(COLOURS)]
        if show_ellipses and (keep_empty or (sigma[sel] > 0).any()):
            # keep_empty: animation frames need the same traces even where sigma is 0
            xy = geometry.ellipse_outlines(mu[sel], sigma[sel], k=k, vertices=ELLIPSE_VERTICES)
            fig.add_trace(
                go.Scatter(
                    x=xy[:, 0],
                    y=xy[:, 1],
                    mode="lines" if outline else "none",
                    fill="toself",
                    hoverinfo="skip",
                    fillcolor=_rgba(colour, 0.12 if outline else 0.2),  # no edge: a bit denser
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
    return style_plane(fig, title, limit)


def prior_plane() -> go.Figure:
    """The latent plane with only the prior's circles: what the Explorer shows while it loads."""
    return style_plane(go.Figure(prior_circles()))


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


def ladder_curves(rows: list[dict]) -> go.Figure:
    """Coverage and holes against beta (a categorical axis: beta = 0 means the KL is off)."""
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
    fig = go.Figure(
        go.Heatmap(
            x=grid_centres,
            y=grid_centres,
            z=holes.astype(float),
            zmin=0,
            zmax=1,
            showscale=False,
            hoverinfo="skip",
            colorscale=[[0, "rgba(0,0,0,0)"], [1, "rgba(214,39,40,0.75)"]],
        )
    )
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


def add_gap(fig: go.Figure, centre: np.ndarray, radius: float) -> go.Figure:
    """Outline the largest empty disc among the codes: a hole the decoder never trained on."""
    t = np.linspace(0, 2 * np.pi, 73)
    fig.add_trace(
        go.Scatter(
            x=centre[0] + radius * np.cos(t),
            y=centre[1] + radius * np.sin(t),
            mode="lines",
            line=dict(color="#d62728", width=2, dash="dot"),
            hoverinfo="skip",
            name="largest hole among the codes",
        )
    )
    return fig


def _numbered(points: np.ndarray, name: str, hover: str) -> go.Scatter:
    """Draws labelled 0, 1, 2, ... so draw i in eps space can be found as point i in z space."""
    return go.Scatter(
        x=points[:, 0],
        y=points[:, 1],
        mode="markers+text",
        text=[str(i) for i in range(len(points))],
        textposition="top center",
        marker=dict(size=8, color="#1f77b4"),
        name=name,
        hovertemplate=hover,
    )


def reparam_figures(eps: np.ndarray, z: np.ndarray, mu_i: np.ndarray, sigma_i: np.ndarray):
    """(eps space, z space): the same K draws before and after z = mu + eps * sigma."""
    left = go.Figure(
        [*prior_circles(), _numbered(eps, "ε draws", "ε = (%{x:.2f}, %{y:.2f})<extra></extra>")]
    )
    style_plane(left, "ε ~ N(0, I): around the unit circle", limit=3.5)
    reach = float(max(3.2 * sigma_i.max(), 0.05))
    right = go.Figure()
    for k, dash in [(1.0, "solid"), (2.0, "dash")]:
        xy = geometry.ellipse_outlines(mu_i[None], sigma_i[None], k=k, vertices=96)
        right.add_trace(
            go.Scatter(
                x=xy[:, 0],
                y=xy[:, 1],
                mode="lines",
                hoverinfo="skip",
                line=dict(color="#d62728", dash=dash),
                name=f"{k:g}σ ellipse",
            )
        )
    right.add_trace(_numbered(z, "z = μ + ε⊗σ", "z = (%{x:.3f}, %{y:.3f})<extra></extra>"))
    right.add_trace(
        go.Scatter(
            x=[mu_i[0]],
            y=[mu_i[1]],
            mode="markers",
            name="μ",
            marker=dict(symbol="x", size=12, color="black"),
        )
    )
    style_plane(right, "z = μ + ε ⊗ σ: the same draws, in this sample's ellipse")
    right.update_xaxes(range=[mu_i[0] - reach, mu_i[0] + reach])
    right.update_yaxes(range=[mu_i[1] - reach, mu_i[1] + reach])
    for f in (left, right):
        f.update_layout(height=460)
    return left, right


def highlight(fig: go.Figure, mu_i: np.ndarray, sigma_i: np.ndarray) -> go.Figure:
    """Mark one posterior on a latent figure: its 2-sigma outline in bold."""
    xy = geometry.ellipse_outlines(mu_i[None], np.maximum(sigma_i[None], 0.03), k=2.0)
    fig.add_trace(
        go.Scatter(
            x=xy[:, 0],
            y=xy[:, 1],
            mode="lines",
            hoverinfo="skip",
            line=dict(color="black", width=3),
            name="selected sample (2σ)",
        )
    )
    return fig

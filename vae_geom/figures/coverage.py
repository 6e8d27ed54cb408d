"""Figures of the KL and coverage page: coverage and holes against beta, reconstruction against
KL, the aggregate posterior q(z) beside the prior p(z), the holes map, and the ladder's animation.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from vae_geom import collapse, geometry
from vae_geom.figures.plane import (
    cells,
    edge_markers,
    latent_figure,
    prior_circles,
    style_plane,
)
from vae_geom.i18n import t


def ladder_curves(rows: list[dict], lang: str = "en") -> go.Figure:
    """Coverage and holes against beta (a categorical axis: beta = 0 means the KL is off).

    A collapsed rung (`collapse.collapsed`) is marked "collapsed" at its coverage: there the curve
    bends down to the prior's own 1-sigma mass, because every ellipse is the prior itself.
    """
    x = [t("figures.cov.off", lang) if r["beta"] == 0 else f"{r['beta']:g}" for r in rows]
    fig = go.Figure()
    for key, dash in [("coverage_1", "solid"), ("coverage_2", "dot"), ("holes_fraction", "dash")]:
        fig.add_trace(
            go.Scatter(
                x=x,
                y=[r[key] for r in rows],
                name=t(f"figures.cov.{key}", lang),
                mode="lines+markers",
                line=dict(dash=dash),
            )
        )
    for i, r in enumerate(rows):
        if collapse.collapsed(r["kl"]):
            # on a category axis an annotation's x is the category's index: the label "3" would
            # be read as index 3, the rung beta = 1 (seen in a browser)
            fig.add_annotation(  # its label up and to the left: the last rung is at the edge
                x=i,
                y=r["coverage_1"],
                text=t("figures.cov.collapsed", lang),
                showarrow=True,
                ax=-40,
                ay=-30,
            )
    fig.update_layout(
        height=360,
        margin=dict(l=40, r=10, t=30, b=40),
        legend=dict(y=-0.25, orientation="h"),
        title=t("figures.cov.curves_title", lang),
    )
    fig.update_xaxes(title=t("figures.cov.beta_axis", lang), type="category")
    fig.update_yaxes(title=t("figures.cov.share_axis", lang), range=[0, 1], tickformat=".0%")
    return fig


def rate_distortion(rows: list[dict], lang: str = "en") -> go.Figure:
    """Reconstruction (distortion) against KL (rate), one point per beta."""
    fig = go.Figure(
        go.Scatter(
            x=[r["kl"] for r in rows],
            y=[r["recon"] for r in rows],
            mode="lines+markers+text",
            text=[
                t("figures.cov.kl_off_short", lang) if r["beta"] == 0 else f"β = {r['beta']:g}"
                for r in rows
            ],
            # the largest KL (the KL off) sits at the right edge: its label goes left, inside
            textposition=[
                "top left" if r["kl"] == max(q["kl"] for q in rows) else "top right" for r in rows
            ],
            hovertemplate=t("figures.cov.rd_hover", lang, kl="%{x:.2f}", recon="%{y:.1f}")
            + "<extra></extra>",
        )
    )
    fig.update_layout(
        height=360,
        margin=dict(l=40, r=10, t=30, b=40),
        title=t("figures.cov.rd_title", lang),
    )
    # plotly's own log ticks label 0.2 and 2 alike ("2"): name the values outright
    ticks = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100]
    fig.update_xaxes(
        title=t("figures.cov.rd_x", lang),
        type="log",
        tickvals=ticks,
        ticktext=[f"{v:g}" for v in ticks],
    )
    fig.update_yaxes(title=t("figures.cov.rd_y", lang))
    return fig


def density_map(
    grid_centres: np.ndarray,
    density: np.ndarray,
    title: str,
    zmax: float,
    colorscale: str = "Viridis",
    lang: str = "en",
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
            colorbar=dict(title=t("figures.cov.density", lang), len=0.8),
            hovertemplate="z = (%{x:.2f}, %{y:.2f})<br>%{z:.3f}<extra></extra>",
        )
    )
    for trace in prior_circles(lang=lang):
        trace.line.color = "white"
        trace.showlegend = False
        fig.add_trace(trace)
    fig = style_plane(fig, title)
    fig.update_layout(height=420, showlegend=False)
    return fig


def holes_figure(
    grid_centres: np.ndarray, holes: np.ndarray, title: str, lang: str = "en"
) -> go.Figure:
    """Cells inside the prior's 2-sigma disc where q < 0.1 p, in red; the rest transparent."""
    fig = go.Figure(cells(grid_centres, holes, alpha=0.75))
    for trace in prior_circles(lang=lang):
        trace.showlegend = False
        fig.add_trace(trace)
    fig = style_plane(fig, title)
    fig.update_layout(height=420, showlegend=False)
    return fig


# Interpolating between rungs: each sample keeps its place across beta (the rungs are trained by
# continuing from each other), so its mu moves in a straight line and its sigma geometrically.
# Every frame sends every ellipse: MNIST's 1,000 test samples make the figure's JSON 3.4 MB with
# 4 frames between rungs (21 frames), 4.0 MB with 5 and 4.6 MB with 6; the 5 rungs alone took
# 1.7 MB. Each frame is a full redraw (its title changes), and the redraw, not LADDER_FRAME_MS,
# sets the pace: 0.25 s a frame in a bare page, ~0.5 s in the app, in headless Chromium on the
# 2-core machine while it trained (play took 11-12 s there); fewer frames play faster.
LADDER_BETWEEN = 4  # interpolated frames between two neighbouring rungs
LADDER_FRAME_MS = 80  # one frame's shortest duration when playing
# An ellipse gets only the corners its size on screen shows: the fewest of these whose polygon
# strays at most LADDER_SAGITTA_PX from the ellipse at LADDER_PX_PER_UNIT (the plane spans 8 units
# in ~570 px; 80 is generous). 16 everywhere would make MNIST's 21 frames 5.8 MB.
LADDER_CORNERS = (4, 6, 8, 12, 16)
LADDER_PX_PER_UNIT = 80.0
LADDER_SAGITTA_PX = 0.5


def interpolate_posteriors(
    mu_a: np.ndarray, sigma_a: np.ndarray, mu_b: np.ndarray, sigma_b: np.ndarray, t: float
) -> tuple[np.ndarray, np.ndarray]:
    """The posteriors a fraction t in [0, 1] of the way from a to b, sample by sample.

    mu moves linearly, (1 - t) mu_a + t mu_b; sigma geometrically, sigma_a^(1 - t) sigma_b^t
    (linear in log sigma), which stays positive and treats halving and doubling alike. t = 0 gives
    a and t = 1 gives b exactly. This is a drawing aid, not a model: only a and b were trained.
    """
    if not 0.0 <= t <= 1.0:
        raise ValueError(f"t must lie in [0, 1], got {t}")
    mu_a, sigma_a, mu_b, sigma_b = (
        np.asarray(a, dtype=np.float64) for a in (mu_a, sigma_a, mu_b, sigma_b)
    )
    if mu_a.shape != mu_b.shape or sigma_a.shape != sigma_b.shape or mu_a.shape != sigma_a.shape:
        raise ValueError("a and b must hold the same samples: mu and sigma of one shape")
    if t == 0.0:
        return mu_a, sigma_a
    if t == 1.0:
        return mu_b, sigma_b
    return (1.0 - t) * mu_a + t * mu_b, sigma_a ** (1.0 - t) * sigma_b**t


def corners(sigma: np.ndarray, k: float = 1.0) -> np.ndarray:
    """How many corners each k-sigma ellipse is drawn with, shape (n,): the fewest of
    LADDER_CORNERS whose regular polygon's sagitta, r (1 - cos(pi / m)) at the longer radius r in
    pixels, is at most LADDER_SAGITTA_PX (else the most)."""
    r = k * np.asarray(sigma, dtype=np.float64).max(axis=1) * LADDER_PX_PER_UNIT  # (n,) px
    m = np.asarray(LADDER_CORNERS)
    fits = r[:, None] * (1 - np.cos(np.pi / m))[None] <= LADDER_SAGITTA_PX  # (n, len(m))
    return np.where(fits.any(axis=1), m[np.argmax(fits, axis=1)], m[-1])


def sized_outlines(mu: np.ndarray, sigma: np.ndarray, k: float = 1.0) -> np.ndarray:
    """`geometry.ellipse_outlines` with `corners(sigma, k)` corners per ellipse: each ellipse's
    m+1 points (the first repeated) and a NaN row, in sample order, as one float32 (N, 2) array."""
    mu, sigma = geometry.check_posteriors(mu, sigma)
    m = corners(sigma, k)
    out = np.empty((int((m + 2).sum()), 2), dtype=np.float32)
    start = np.cumsum(m + 2) - (m + 2)  # (n,): where each ellipse's rows begin
    for c in np.unique(m):
        sel = m == c
        rows = start[sel][:, None] + np.arange(c + 2)[None]  # (n_c, c+2)
        out[rows] = geometry.ellipse_outlines(mu[sel], sigma[sel], k, int(c)).reshape(-1, c + 2, 2)
    return out


def rung_name(beta: float, lang: str = "en") -> str:
    """A rung's name on the animation's slider: "off" for beta = 0 (the KL off), else "β = 0.3"."""
    return t("figures.cov.off", lang) if beta == 0 else f"β = {beta:g}"


def _rung_words(beta: float, lang: str = "en") -> str:
    return t("figures.cov.kl_off", lang) if beta == 0 else f"β = {beta:g}"


def ladder_frames(
    rungs: list[tuple[float, np.ndarray, np.ndarray]],
    between: int = LADDER_BETWEEN,
    lang: str = "en",
) -> list[tuple[str, str, np.ndarray, np.ndarray]]:
    """Every frame of the ladder's animation in play order, as (name, title, mu, sigma).

    `rungs` is [(beta, mu, sigma), ...] in ladder order, the same samples in every rung. A rung's
    frame is its own mu and sigma, titled "β = 0.3 (trained rung)"; `between` frames in between
    two rungs are `interpolate_posteriors` at t = 1/(between+1), ..., between/(between+1),
    titled "between β = 0.3 and β = 1: interpolated".
    """
    frames = []
    for i, (beta, mu, sigma) in enumerate(rungs):
        if i:
            beta_a, mu_a, sigma_a = rungs[i - 1]
            title = t(
                "figures.cov.between",
                lang,
                a=_rung_words(beta_a, lang),
                b=_rung_words(beta, lang),
            )
            for k in range(1, between + 1):
                f = k / (between + 1)
                name = f"{rung_name(beta_a, lang)} → {rung_name(beta, lang)}: {k}/{between + 1}"
                frames.append((name, title, *interpolate_posteriors(mu_a, sigma_a, mu, sigma, f)))
        trained = t("figures.cov.trained", lang, rung=_rung_words(beta, lang))
        frames.append((rung_name(beta, lang), trained, mu, sigma))
    return frames


ANIMATION_MAX = 1_000  # samples per frame: 21 frames of 5,000 ellipses would be ~17 MB of JSON


def animation_subset(n: int, cap: int = ANIMATION_MAX, seed: int = 0) -> np.ndarray:
    """Indices of the samples the animation draws: all n, or `cap` of them picked at random
    (the same ones every time), in their original order."""
    if n <= cap:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).permutation(n)[:cap])


def ladder_animation(
    rungs: list[tuple[float, np.ndarray, np.ndarray]],
    labels: np.ndarray,
    label_name: str = "label",
    between: int = LADDER_BETWEEN,
    class_names: tuple[str, ...] = (),
    lang: str = "en",
) -> go.Figure:
    """The KL ladder as one animation that morphs from rung to rung, with play, pause and a
    slider of the trained rungs.

    `rungs` is [(beta, mu, sigma), ...] in ladder order, the same samples in every rung; the
    frames are `ladder_frames`, each titled "trained rung" or "interpolated". Every frame sends
    only what moves (the ellipses' and mu markers' x and y, the edge markers) to the same traces
    of the latent figure, so plotly steps between them in the browser without asking the server.
    The ellipses have `corners` corners each; the figure's data is the last rung's frame.
    """
    labels = np.asarray(labels)
    classes = np.unique(labels)
    sels = [labels == c for c in classes]
    frames = ladder_frames(rungs, between, lang)
    fig = latent_figure(
        *rungs[-1][1:],
        labels,
        label_name=label_name,
        keep_empty=True,
        class_names=class_names,
        lang=lang,
    )
    # the traces a frame moves, found by kind: each class's ellipses and mu markers, in class
    # order, and the edge markers latent_figure(keep_empty=True) draws last
    ellipse_at = [i for i, t in enumerate(fig.data) if t.type == "scatter" and t.fill == "toself"]
    marker_at = [i for i, t in enumerate(fig.data) if t.type == "scattergl"]
    groups = [str(c) for c in classes]
    if [fig.data[i].legendgroup for i in ellipse_at] != groups or [
        fig.data[i].legendgroup for i in marker_at
    ] != groups:
        raise RuntimeError("latent_figure's traces are not one ellipse and one mu trace per class")
    moved = [*ellipse_at, *marker_at, len(fig.data) - 1]
    # the mu markers as SVG, not WebGL: every frame is a full redraw (the title changes), and in
    # headless Chromium without a GPU a frame took 390 ms with WebGL markers, 250 ms with SVG
    traces = list(fig.data)
    for i in marker_at:
        traces[i] = go.Scatter({k: v for k, v in traces[i].to_plotly_json().items() if k != "type"})
    fig = go.Figure(data=traces, layout=fig.layout)

    def frame_data(mu, sigma) -> list:
        mu = np.asarray(mu, dtype=np.float32)
        out = []
        for sel in sels:
            xy = sized_outlines(mu[sel], sigma[sel])
            out.append(go.Scatter(x=xy[:, 0], y=xy[:, 1]))
        out += [go.Scatter(x=mu[sel, 0], y=mu[sel, 1]) for sel in sels]
        return [*out, edge_markers(mu, lang=lang)]

    fig.frames = [
        go.Frame(name=name, data=frame_data(mu, sigma), traces=moved, layout=dict(title_text=title))
        for name, title, mu, sigma in frames
    ]
    last = fig.frames[-1]
    for i, trace in zip(ellipse_at, last.data[: len(sels)], strict=True):  # as framed
        fig.data[i].update(x=trace.x, y=trace.y)
    rung_names = [rung_name(beta, lang) for beta, _, _ in rungs]
    jump = dict(
        mode="immediate", frame=dict(duration=300, redraw=True), transition=dict(duration=0)
    )
    play = dict(
        frame=dict(duration=LADDER_FRAME_MS, redraw=True),
        transition=dict(duration=0),
        fromcurrent=False,
        mode="immediate",
    )
    stop = dict(mode="immediate", frame=dict(duration=0, redraw=False), transition=dict(duration=0))
    fig.update_layout(
        title=dict(text=last.layout.title.text, x=0.02, xanchor="left", font=dict(size=15)),
        sliders=[
            dict(
                active=len(rungs) - 1,
                steps=[dict(method="animate", label=n, args=[[n], jump]) for n in rung_names],
                y=-0.09,  # below the z₁ axis title
                len=0.75,
                x=0.2,
                # no "current value": between rungs it would name the rung last passed, while
                # the title says what is shown
                currentvalue=dict(visible=False),
            )
        ],
        updatemenus=[
            dict(
                type="buttons",
                direction="right",
                showactive=False,
                x=0.0,
                y=-0.09,
                xanchor="left",
                yanchor="top",
                buttons=[
                    dict(label=t("figures.cov.play", lang), method="animate", args=[None, play]),
                    dict(label=t("figures.cov.pause", lang), method="animate", args=[[None], stop]),
                ],
            )
        ],
        legend=dict(orientation="v", x=1.02, y=1, xanchor="left", yanchor="top"),
        # a fixed right margin for the legend: its entry for the codes beyond the edge comes and
        # goes with the frames, and an auto-expanding margin made the plane change size with it
        margin=dict(l=40, r=210, t=40, b=120, autoexpand=False),
    )
    return fig

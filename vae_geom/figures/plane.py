"""The latent plane every page draws on, and the primitives the other figure modules share.

The plane follows a measured recipe: all ellipses of a class as ONE filled `go.Scatter` trace
(float32 arrays with NaN separators, no hover), never `layout.shapes` or a filled `Scattergl`,
which are seconds slower per redraw without a GPU (docs/design.md).
"""

from __future__ import annotations

import numpy as np
import pandas  # noqa: F401 - imported whole before any figure is built: see below
import plotly.graph_objects as go
from plotly.colors import qualitative

from vae_geom import geometry
from vae_geom.i18n import class_words, t

# Why pandas: plotly's validators look for it in sys.modules without importing it. When one
# session's script thread is still importing pandas, another's sees the half-made module and
# raises AttributeError ("partially initialized module 'pandas' has no attribute 'Series'"): 18 of
# 20 sessions opening a fresh server at once failed so (bench/load_sessions.py). A module-level
# import finishes under Python's import lock before any thread can use this module, and every
# figure module imports this one.
COLOURS = qualitative.D3  # 10 distinct colours: one per digit class
HOLE = "#d62728"  # red: a hole, a gap, a z no posterior covers — one colour on every page
PLANE = geometry.GRID_LIMIT  # the axes span [-4, 4] in latent units on every page
# 16 vertices per ellipse: smooth at the sizes drawn (a few to ~30 px), and a third less to send
# and redraw than 24 (10,000 ellipses: 3.7 -> 2.7 MB; BENCHMARKS.md, "App speed")
ELLIPSE_VERTICES = 16
# Above this many ellipses they are drawn filled without an outline: stroking 5,000 outlines is a
# third of the browser's redraw when beta changes (p50 0.93 -> 0.65 s; BENCHMARKS.md), and at that
# density the outlines merge into a tangle anyway.
OUTLINE_MAX = 2_000
# Codes beyond the frame are marked on its border, snapped to steps of this many latent units: a
# marker for every code would send tens of thousands of them for an AE's 70,000 codes.
EDGE_STEP = 0.1
EDGE_COLOUR = "#444"


def rgba(hex_colour: str, alpha: float) -> str:
    """'#rrggbb' with an opacity, as plotly's 'rgba(r,g,b,a)'."""
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def circle(radius: float, name: str, centre=(0.0, 0.0), vertices: int = 121, **line) -> go.Scatter:
    """A circle outline of this radius (latent units) as a line trace, never hovered."""
    t = np.linspace(0, 2 * np.pi, vertices)
    return go.Scatter(
        x=centre[0] + radius * np.cos(t),
        y=centre[1] + radius * np.sin(t),
        mode="lines",
        hoverinfo="skip",
        line=line,
        name=name,
    )


def points(
    z: np.ndarray,
    name: str,
    hover: str = "(%{x:.2f}, %{y:.2f})",
    customdata=None,
    mode: str = "markers",
    **marker,
) -> go.Scatter:
    """Points z of shape (n, 2) as markers; `hover` is their hovertemplate (without <extra>)."""
    return go.Scatter(
        x=z[:, 0],
        y=z[:, 1],
        mode=mode,
        name=name,
        marker=marker,
        customdata=customdata,
        hovertemplate=hover + "<extra></extra>",
    )


def outline(mu_i, sigma_i, k: float, name: str, vertices: int = 24, **line) -> go.Scatter:
    """One posterior's k-sigma ellipse as an outline (no fill), for marking a single sample."""
    xy = geometry.ellipse_outlines(np.asarray(mu_i)[None], np.asarray(sigma_i)[None], k, vertices)
    return go.Scatter(x=xy[:, 0], y=xy[:, 1], mode="lines", hoverinfo="skip", line=line, name=name)


def cells(grid_centres: np.ndarray, mask: np.ndarray, alpha: float, name: str | None = None):
    """Grid cells where `mask` (bool, indexed [iy, ix]) is True, in the hole colour; the rest
    transparent, so the plane shows through."""
    return go.Heatmap(
        x=grid_centres,
        y=grid_centres,
        z=mask.astype(float),
        zmin=0,
        zmax=1,
        showscale=False,
        hoverinfo="skip",
        colorscale=[[0, "rgba(0,0,0,0)"], [1, rgba(HOLE, alpha)]],
        name=name,
    )


def prior_circles(ks=(1.0, 2.0), lang: str = "en") -> list[go.Scatter]:
    """The prior N(0, I) as its k-sigma circles (1 sigma holds 39% of its mass, 2 sigma 86%)."""
    traces = []
    for k in ks:
        trace = circle(
            k,
            t("figures.plane.prior_circle", lang, k=k),
            color="black",
            width=2 if k == 1 else 1.2,
            dash="solid" if k == 1 else "dash",
        )
        trace.legendgroup = "prior"
        traces.append(trace)
    return traces


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
    class_names: tuple[str, ...] = (),
    lang: str = "en",
) -> go.Figure:
    """Each posterior as a filled k-sigma ellipse and a mu marker coloured by label; a label c
    with a name in class_names reads "class 3 · Dress" in the legend and hover. In `lang`, the
    shipped datasets' label and class names are translated (an uploaded dataset's stay)."""
    fig = go.Figure()
    outline = len(mu) <= OUTLINE_MAX
    label_name, class_names = class_words(label_name, class_names, lang)
    for c in np.unique(labels):
        sel = labels == c
        colour = COLOURS[int(c) % len(COLOURS)]
        label = t("figures.plane.class", lang, name=label_name, c=c)
        if 0 <= c < len(class_names):
            label += f" · {class_names[c]}"
        if show_ellipses and (keep_empty or (sigma[sel] > 0).any()):
            # keep_empty: animation frames need the same traces even where sigma is 0
            name = t("figures.plane.ellipses", lang, label=label, k=k)
            fig.add_trace(_ellipses(mu[sel], sigma[sel], k, colour, outline, name, str(c)))
        fig.add_trace(
            go.Scattergl(
                x=mu[sel, 0],
                y=mu[sel, 1],
                mode="markers",
                name=label,
                legendgroup=str(c),
                marker=dict(color=colour, size=4),
                customdata=np.flatnonzero(sel),
                hovertemplate=t("figures.plane.hover", lang, i="%{customdata}", label=label)
                + "<br>μ = (%{x:.2f}, %{y:.2f})<extra></extra>",
            )
        )
    for trace in prior_circles(lang=lang):
        fig.add_trace(trace)
    edge = edge_markers(mu, limit, lang)
    if keep_empty or len(edge.x):  # animation frames need the same traces in every frame
        fig.add_trace(edge)
    return style_plane(fig, title, limit)


def edge_markers(mu: np.ndarray, limit: float = PLANE, lang: str = "en") -> go.Scatter:
    """The codes mu, of shape (n, 2), beyond [-limit, limit]^2 as outward triangles on the frame,
    at their clipped positions (snapped to EDGE_STEP, one marker per place, hover "N codes beyond
    the edge"); no markers if every code is inside."""
    mu = np.asarray(mu, dtype=np.float64).reshape(-1, 2)
    out = mu[(np.abs(mu) > limit).any(1)]  # (m, 2)
    snapped = np.clip(np.round(np.clip(out, -limit, limit) / EDGE_STEP) * EDGE_STEP, -limit, limit)
    where, count = np.unique(snapped, axis=0, return_counts=True)  # (m, 2), (m,)
    symbol = np.select(  # the triangle points out of the frame, across the side it sits on
        [where[:, 0] >= limit, where[:, 0] <= -limit, where[:, 1] >= limit],
        ["triangle-right", "triangle-left", "triangle-up"],
        "triangle-down",
    )
    return go.Scatter(
        x=where[:, 0],
        y=where[:, 1],
        mode="markers",
        name=t("figures.plane.edge", lang, n=len(out)),
        marker=dict(symbol=symbol.tolist(), size=9, color=EDGE_COLOUR),
        hovertext=[
            t("figures.plane.edge_many" if c != 1 else "figures.plane.edge_one", lang, n=c)
            for c in count
        ],
        hoverinfo="text",
        showlegend=bool(len(out)),
        cliponaxis=False,  # drawn whole on the frame, not cut in half by it
    )


def outside_note(mu: np.ndarray, limit: float = PLANE, lang: str = "en") -> str:
    """A caption's sentence: how many codes lie outside the view [-limit, limit]^2, and where
    ("" if none do)."""
    c = geometry.outside_view(mu, limit)
    if not c["outside"]:
        return ""
    sides = [
        (f"z₁ > {limit:g}", c["right"]),
        (f"z₁ < −{limit:g}", c["left"]),
        (f"z₂ > {limit:g}", c["top"]),
        (f"z₂ < −{limit:g}", c["bottom"]),
    ]
    where = t("figures.plane.list_sep", lang).join(
        t("figures.plane.side", lang, side=side, n=n) for side, n in sides if n
    )
    return t("figures.plane.outside", lang, outside=c["outside"], n=c["n"], where=where)


def _ellipses(mu, sigma, k: float, colour: str, outline: bool, name: str, group: str):
    """One class's k-sigma ellipses as ONE filled trace (NaN-separated outlines)."""
    xy = geometry.ellipse_outlines(mu, sigma, k=k, vertices=ELLIPSE_VERTICES)
    return go.Scatter(
        x=xy[:, 0],
        y=xy[:, 1],
        mode="lines" if outline else "none",
        fill="toself",
        hoverinfo="skip",
        fillcolor=rgba(colour, 0.12 if outline else 0.2),  # no edge: a bit denser
        line=dict(color=rgba(colour, 0.45), width=0.6),
        name=name,
        legendgroup=group,
        showlegend=False,
    )


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


def add_gap(fig: go.Figure, centre: np.ndarray, radius: float, lang: str = "en") -> go.Figure:
    """Outline the largest empty disc among the codes: a hole the decoder never trained on."""
    name = t("figures.plane.gap", lang)
    fig.add_trace(circle(radius, name, centre, vertices=73, color=HOLE, width=2, dash="dot"))
    return fig

"""Figures of the class's answers (issue 16), for the teacher's screen: a bar of the choices, and
the clicks on the latent plane as a heat map under their points. Arrays in, go.Figure out.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from vae_geom.figures.plane import PLANE, prior_circles
from vae_geom.i18n import t

RIGHT, OTHER = "#2ca02c", "#1f77b4"  # the revealed truth's bar; every other bar
HEAT_BINS = 16  # cells per axis of the clicks' heat map over [-PLANE, PLANE]


def choices_bar(
    labels: list[str], counts: list[int], truth: int | None = None, lang: str = "en"
) -> go.Figure:
    """One horizontal bar per choice (`labels` in the lesson's order, top to bottom) with its count;
    once revealed, the true choice (index `truth`) is ticked and its bar green."""
    colours = [RIGHT if i == truth else OTHER for i in range(len(labels))]
    labels = [f"✓ {label}" if i == truth else label for i, label in enumerate(labels)]
    fig = go.Figure(
        go.Bar(
            x=counts,
            y=labels,
            orientation="h",
            marker_color=colours,
            text=[str(c) for c in counts],
            textposition="auto",
            hoverinfo="skip",
        )
    )
    fig.update_yaxes(autorange="reversed", automargin=True, tickfont=dict(size=14))
    fig.update_xaxes(title=t("classroom.axis.students", lang), rangemode="tozero", dtick=1
                     if max(counts, default=0) <= 10 else None, title_standoff=12)  # fmt: skip
    fig.update_layout(height=80 + 26 * len(labels), margin=dict(l=10, r=10, t=4, b=46),
                      bargap=0.25)  # fmt: skip
    return fig


def clicks_map(clicks: np.ndarray, lang: str = "en", height: int = 300) -> go.Figure:
    """The class's clicks (an array of shape (n, 2)) on the plane's axes: their density as a heat
    map, each click as a point, over the prior's 1σ and 2σ circles."""
    clicks = np.asarray(clicks, dtype=np.float64).reshape(-1, 2)
    edges = np.linspace(-PLANE, PLANE, HEAT_BINS + 1)
    counts, _, _ = np.histogram2d(clicks[:, 0], clicks[:, 1], bins=(edges, edges))
    centres = (edges[:-1] + edges[1:]) / 2
    fig = go.Figure(
        go.Heatmap(
            x=centres,
            y=centres,
            z=counts.T,  # rows are y
            colorscale="Oranges",
            zmin=0,
            showscale=False,
            hoverinfo="skip",
        )
    )
    for trace in prior_circles(lang=lang):
        trace.showlegend = False
        fig.add_trace(trace)
    fig.add_trace(
        go.Scatter(
            x=clicks[:, 0],
            y=clicks[:, 1],
            mode="markers",
            marker=dict(size=6, color="#111", opacity=0.7),
            name=t("classroom.axis.clicks", lang),
            showlegend=False,
            hoverinfo="skip",
        )
    )
    fig.update_xaxes(range=[-PLANE, PLANE], showgrid=False, zeroline=False, constrain="domain")
    fig.update_yaxes(range=[-PLANE, PLANE], showgrid=False, zeroline=False, constrain="domain",
                     scaleanchor="x")  # fmt: skip
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10))
    return fig

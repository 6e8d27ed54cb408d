"""Figures of the judge on Points vs ellipses: prior samples' class mix and example decodes.

Arrays in, `go.Figure` out; never Streamlit. Both figures download as PNG from their toolbar,
like every chart of the app.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from vae_geom.figures import plane
from vae_geom.i18n import t

DATA = "#7f7f7f"  # grey: the data's own class frequencies, the reference both models are held to
MODEL_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd")


def class_mix_figure(
    classes: np.ndarray,
    data_freq: np.ndarray,
    mixes: dict[str, np.ndarray],
    label_name: str = "label",
    height: int = 340,
    lang: str = "en",
) -> go.Figure:
    """Grouped bars per class: the training split's frequencies, then each model's frequencies of
    the judge's classes of its prior samples ({name: freq of shape (C,)}); texts in `lang`
    (label_name is shown as given)."""
    x = [str(c) for c in classes]
    data = go.Bar(x=x, y=data_freq, name=t("judge.fig.data", lang), marker_color=DATA)
    fig = go.Figure(data)
    for (name, freq), colour in zip(mixes.items(), MODEL_COLOURS, strict=False):
        fig.add_bar(x=x, y=freq, name=name, marker_color=colour)
    fig.update_layout(
        barmode="group",
        height=height,
        title=t("judge.fig.mix_title", lang),
        margin=dict(l=50, r=10, t=40, b=40),
        legend=dict(orientation="h", x=0.5, xanchor="center", y=-0.22, yanchor="top"),
        plot_bgcolor="white",
    )
    fig.update_xaxes(title=label_name, type="category")
    fig.update_yaxes(
        title=t("judge.fig.fraction", lang), tickformat=".0%", gridcolor="#eee", rangemode="tozero"
    )
    return fig


def examples_figure(
    rows: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
    image_shape: tuple[int, int],
    tau: float,
    tile_px: int = 64,
    lang: str = "en",
) -> go.Figure:
    """One row of decoded images per model ({name: (images (k, D), labels (k,), top (k,))}), the
    same prior z in each column; each titled with the judge's label and confidence, in red when
    below tau (not like real data)."""
    names, k = list(rows), len(next(iter(rows.values()))[0])
    fig = make_subplots(rows=len(names), cols=k, horizontal_spacing=0.012, vertical_spacing=0.14)
    h, w = image_shape
    for r, name in enumerate(names, start=1):
        images, labels, top = rows[name]
        for c in range(k):
            tile = _tile(images[c].reshape(h, w), name, c, labels[c], top[c], lang)
            fig.add_trace(tile, r, c + 1)
            fig.add_annotation(_title(labels[c], top[c], tau), row=r, col=c + 1)
    fig.update_xaxes(visible=False)
    hidden = dict(showticklabels=False, ticks="", showgrid=False, zeroline=False, showline=False)
    fig.update_yaxes(autorange="reversed", scaleanchor="x", constrain="domain", **hidden)
    for i in range(2, len(names) * k + 1):  # every tile square: each y axis anchors its own x
        fig.layout[f"yaxis{i}"].scaleanchor = f"x{i}"
    for r, name in enumerate(names, start=1):  # the model's name left of its row
        fig.update_yaxes(title=dict(text=name, font=dict(size=12)), row=r, col=1)
    fig.update_layout(
        height=len(names) * (tile_px + 34) + 30,
        margin=dict(l=40, r=10, t=24, b=6),
        plot_bgcolor="white",
        showlegend=False,
    )
    return fig


def _tile(image: np.ndarray, name: str, col: int, label, top: float, lang: str) -> go.Heatmap:
    return go.Heatmap(
        z=image,
        zmin=0,
        zmax=1,
        colorscale="gray",
        showscale=False,
        hovertemplate=t("judge.fig.tile_hover", lang, name=name, col=col, label=label, top=top)
        + "<extra></extra>",
    )


def _title(label, top: float, tau: float) -> dict:
    """The tile's caption above it: label · confidence, red when the decode does not look real."""
    return dict(
        text=f"{label} · {top:.0%}",
        x=0.5,
        y=1.0,
        xref="x domain",
        yref="y domain",
        yanchor="bottom",
        showarrow=False,
        font=dict(size=12, color="black" if top >= tau else plane.HOLE),
    )


def add_pick(fig: go.Figure, z: np.ndarray, top: float, lang: str = "en") -> go.Figure:
    """Mark the judge's pick on a latent plane: the prior draw in 2 sigma whose decode looks least
    like real data (a hole chosen by what is decoded there, not by where codes are missing)."""
    name = t("judge.fig.pick", lang)
    hover = t("judge.fig.pick_hover", lang, top=top)
    marker = dict(color=plane.HOLE, size=14, symbol="x", line=dict(width=1, color="white"))
    fig.add_trace(plane.points(np.asarray(z, float).reshape(1, 2), name, hover, **marker))
    return fig

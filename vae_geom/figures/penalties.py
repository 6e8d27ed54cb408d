"""Figures of the Regularisers page: the two penalties (`vae_geom.penalties`) over (mu, sigma) and
along sigma, and the columns of the table that compares a model trained with each.

Colours are fixed per penalty so every chart on the page agrees: the simple penalty orange, the
KL blue.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from vae_geom.i18n import t
from vae_geom.penalties import LABELS, MINIMUM, PenaltyGrid

COLOUR = {"simple": "#ff7f0e", "kl": "#1f77b4"}
NAME = LABELS  # legend and title names, as the essay writes them (English)


def name(penalty: str, lang: str = "en") -> str:
    """A penalty's legend and title name in `lang` (NAME in English)."""
    return t(f"figures.pen.name.{penalty}", lang)


def contour_figure(
    g: PenaltyGrid, zmax: float = 5.0, note: str | None = None, lang: str = "en"
) -> go.Figure:
    """The penalty over (mu, sigma) as filled contours capped at zmax, its minimum starred.

    Both penalties share zmax and levels, so two of these side by side compare by colour. The
    axes are not 1:1 (a half-width column would leave the plot tiny), so the simple penalty's
    circular level sets around (0, 1) are drawn as ellipses.
    """
    fig = go.Figure(
        go.Contour(
            x=g.mu,
            y=g.sigma,
            z=g.values,
            zmin=0,
            zmax=zmax,
            contours=dict(start=0, end=zmax, size=0.5, showlabels=True),
            colorscale="Viridis",
            colorbar=dict(title="nats", len=0.9),
            hovertemplate="μ = %{x:.2f}, σ = %{y:.2f}<br>"
            + t("figures.pen.hover", lang, z="%{z:.3g}")
            + "<extra></extra>",
            name=name(g.name, lang),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[MINIMUM[0]],
            y=[MINIMUM[1]],
            mode="markers+text",
            marker=dict(symbol="star", size=16, color="white", line=dict(color="black", width=1)),
            text=[t("figures.pen.minimum", lang)],
            textposition="top center",
            textfont=dict(color="white"),
            hoverinfo="skip",
            name="minimum",
            showlegend=False,
        )
    )
    if note:
        fig.add_annotation(
            x=0, y=0.02, text=note, showarrow=False, yanchor="bottom", font=dict(color="white")
        )
    fig.update_layout(
        title=dict(text=name(g.name, lang), font=dict(color=COLOUR[g.name])),
        height=380,
        margin=dict(l=50, r=10, t=40, b=40),
        plot_bgcolor="white",
    )
    fig.update_xaxes(title=t("figures.pen.mu_axis", lang), range=[g.mu[0], g.mu[-1]])
    fig.update_yaxes(title=t("figures.pen.sigma_axis", lang), range=[0, g.sigma[-1]])
    return fig


def _vline(x: float, ymax: float, name: str, colour: str, dash: str) -> go.Scatter:
    # a trace, not layout.shapes: on a log axis a shape's x would need log10 units
    return go.Scatter(
        x=[x, x],
        y=[0, ymax],
        mode="lines",
        line=dict(color=colour, width=1.5, dash=dash),
        name=name,
        hovertemplate=f"{name}<extra></extra>",
    )


def sigma_curve(
    sigma: np.ndarray,
    curves: dict[str, np.ndarray],
    marks: list[tuple[str, float, str]] = (),
    floor: float | None = None,
    ymax: float = 7.0,
    lang: str = "en",
) -> go.Figure:
    """Each penalty at mu = 0 against sigma on a log axis, so the KL's blow-up at 0 is a ramp.

    `curves` is {penalty name: values at sigma}; `marks` are vertical lines (label, sigma,
    penalty name for the colour), e.g. each model's median sigma; `floor` is the models'
    smallest possible sigma (their log sigma^2 clamp).
    """
    fig = go.Figure()
    for penalty, values in curves.items():
        fig.add_trace(
            go.Scatter(
                x=sigma,
                y=values,
                mode="lines",
                name=name(penalty, lang),
                line=dict(color=COLOUR[penalty], width=3),
                hovertemplate="σ = %{x:.3g}<br>%{y:.3g} nats<extra></extra>",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=[sigma[0], sigma[-1]],
            y=[1, 1],
            mode="lines",
            line=dict(color=COLOUR["simple"], width=1, dash="dot"),
            name=t("figures.pen.one_nat", lang),
            hoverinfo="skip",
        )
    )
    for label, x, penalty in marks:
        fig.add_trace(_vline(x, ymax, label, COLOUR[penalty], "dash"))
    if floor is not None:
        floor_name = t("figures.pen.floor", lang, floor=floor)
        fig.add_trace(_vline(floor, ymax, floor_name, "#777", "dot"))
    fig.update_layout(
        height=380,
        margin=dict(l=50, r=10, t=40, b=40),
        title=t("figures.pen.curve_title", lang),
        legend=dict(x=0.99, xanchor="right", y=0.99, bgcolor="rgba(255,255,255,0.8)"),
        plot_bgcolor="white",
    )
    fig.update_xaxes(
        title=t("figures.pen.sigma_log_axis", lang),
        type="log",
        range=[np.log10(sigma[0]), np.log10(sigma[-1])],
        gridcolor="#eee",
    )
    fig.update_yaxes(title=t("figures.pen.penalty_axis", lang), range=[0, ymax], gridcolor="#eee")
    return fig


# the checkpoint JSON's test-set figures the comparison table shows, in order
RECORDED = ("recon", "kl", "elbo", "coverage_1", "coverage_2", "aggregate_kl", "holes_fraction")


# the comparison table's columns: key -> (label, number format, tooltip); "" = the Explorer's
TABLE_COLUMNS = {
    "recon": ("recon (nats)", "%.1f", "−log p(x|z) per test image, one z draw each"),
    "kl": (
        "KL (nats)",
        "%.2f",
        "KL(q(z|x) ‖ N(0, I)) per test image, whichever penalty trained it",
    ),
    "elbo": ("ELBO (nats)", "%.1f", "−(recon + KL) per test image: higher is better"),
    "coverage_1": ("coverage₁", "percent", ""),
    "coverage_2": ("coverage₂", "percent", ""),
    "aggregate_kl": ("KL(q‖p) (nats)", "%.3f", ""),
    "holes_fraction": ("holes", "percent", ""),
    "simple_on_codes": ("simple penalty", "%.2f", "Σ_d μ_d² + (σ_d − 1)² per test image"),
    "median_sigma": ("median σ", "%.4f", "over every test image and latent dimension"),
    "at_floor": ("σ on the floor", "percent", "share of σ at the clamp's floor exp(logvar_min/2)"),
}


def table_columns(lang: str = "en") -> dict[str, tuple[str, str, str]]:
    """TABLE_COLUMNS in `lang`: key -> (label, number format, tooltip); "" = the Explorer's."""
    return {
        k: (t(f"figures.pen.col.{k}", lang), f, t(f"figures.pen.col_help.{k}", lang) if h else "")
        for k, (_, f, h) in TABLE_COLUMNS.items()
    }


def comparison_row(model: str, test: dict, summary: dict[str, float]) -> dict:
    """One table row: the model, its recorded test figures (`meta["test"]`), its code summary."""
    return {
        "model": model,
        **{k: test[k] for k in RECORDED},
        "simple_on_codes": summary["simple"],
        "median_sigma": summary["median_sigma"],
        "at_floor": summary["at_floor"],
    }

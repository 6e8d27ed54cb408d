"""KL and coverage: the KL term makes the union of the ellipses fill the prior's disc."""

from __future__ import annotations

import streamlit as st

from vae_geom import collapse, geometry, ladder, ui
from vae_geom.figures import coverage
from vae_geom.ui import lang
from vae_geom.ui.lang import t

st.set_page_config(page_title=t("kl.page_title"), page_icon="⭕", layout="wide")
dataset_name, model_name = ui.sidebar()
ds = ui.dataset(dataset_name)
code = lang.current()

st.title(t("kl.title"))
st.markdown(t("kl.intro"))
st.latex(
    r"\mathcal{L}(x) = \underbrace{-\mathbb{E}_{q(z|x)}\log p(x|z)}_{\text{"
    + t("kl.latex.reconstruction")
    + r"}} + \beta\,\underbrace{\mathrm{KL}\big(q(z|x)\,\|\,\mathcal{N}(0,I)\big)}_{\text{"
    + t("kl.latex.pulls")
    + r"}},\qquad q(z) = \tfrac1N\textstyle\sum_i q(z|x_i)"
)


def curves_section() -> None:
    rows = ui.ladder_or_stop(dataset_name)
    left, right = st.columns(2)
    left.plotly_chart(coverage.ladder_curves(rows, code), key="kl.curves")
    left.caption(
        t("kl.curves_caption", m=rows[0]["coverage_samples"], dataset=dataset_name)
        + collapse.ladder_note(rows, code)
    )
    right.plotly_chart(coverage.rate_distortion(rows, code), key="kl.rd")
    right.caption(t("kl.rd_caption"))


def _subset_note(n: int) -> str:
    if n <= coverage.ANIMATION_MAX:
        return ""
    return t("kl.subset_note", cap=coverage.ANIMATION_MAX, n=n)


def steps_section() -> None:
    ui.ladder_or_stop(dataset_name)  # a bad checkpoint: a clear message, not a traceback
    st.markdown(t("kl.watch"))
    st.plotly_chart(ui.ladder_animation(dataset_name), key="kl.animation")
    betas = ", ".join(f"{b:g}" for b in ladder.KL_BETAS if b)
    st.caption(
        t("kl.steps_caption", betas=betas, between=coverage.LADDER_BETWEEN)
        + r" $\mu_t = (1-t)\,\mu_a + t\,\mu_b$ "
        + t("kl.steps_and")
        + r" $\sigma_t = \sigma_a^{1-t}\,\sigma_b^{\,t}$"
        + t("kl.steps_caption_end")
        + _subset_note(len(ui.dataset(dataset_name).y_test))
    )
    move = ladder.largest_kl_move(dataset_name)
    if move is not None:
        st.caption(t("kl.move_caption", move=move))


def aggregate_section() -> None:
    label = ui.literal(ui.model_label(model_name), None)  # a user's model name: plain text
    st.markdown(t("kl.aggregate_model", label=label))
    ui.load_or_stop(dataset_name, model_name)
    mu, sigma = ui.sample_posteriors(dataset_name, model_name)
    grid = geometry.Grid()
    q, p = (
        geometry.aggregate_density(mu, sigma, grid),
        geometry.aggregate_density([[0.0, 0.0]], [[1.0, 1.0]], grid),
    )
    cols = st.columns(3)
    zmax = float(max(q.max(), p.max()) * 0.8)
    cols[0].plotly_chart(
        coverage.density_map(grid.centres, q, t("kl.q_title"), zmax, lang=code), key="kl.q"
    )
    cols[1].plotly_chart(
        coverage.density_map(grid.centres, p, "p(z) = N(0, I)", zmax, lang=code), key="kl.p"
    )
    cols[2].plotly_chart(
        coverage.holes_figure(
            grid.centres, geometry.holes_map(mu, sigma, grid), t("kl.holes_title"), code
        ),
        key="kl.holes",
    )
    div = geometry.aggregate_divergences(mu, sigma, grid)
    m = st.columns(3)
    m[0].metric("KL(q‖p)", f"{div['kl']:.3f} nats", help=ui.COVERAGE_HELP["aggregate_kl"])
    m[1].metric("JS(q, p)", f"{div['js']:.3f} nats", help=t("kl.js_help"))
    m[2].metric(
        t("kl.holes"),
        f"{geometry.holes_fraction(mu, sigma, grid):.1%}",
        help=ui.COVERAGE_HELP["holes_fraction"],
    )
    st.caption(t("kl.aggregate_caption"))


ui.sections(
    {
        "kl.tab.curves": curves_section,
        "kl.tab.steps": steps_section,
        "kl.tab.aggregate": aggregate_section,
    },
    key="kl.section",
)

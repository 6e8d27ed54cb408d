"""KL and coverage: the KL term makes the union of the ellipses fill the prior's disc."""

from __future__ import annotations

import streamlit as st

from vae_geom import collapse, geometry, ladder, ui
from vae_geom.figures import coverage

st.set_page_config(page_title="vae-geom · KL and coverage", page_icon="⭕", layout="wide")
dataset_name, model_name = ui.sidebar()
ds = ui.dataset(dataset_name)

st.title("The KL term makes the union cover the disc")
st.markdown(
    "Each VAE on the ladder minimises reconstruction + β · KL. With the KL off (β = 0) nothing "
    "stops σ from shrinking, so every ellipse becomes a point and the prior's disc is full of "
    "**holes**. As β grows, each posterior is pulled toward the unit circle: not each ellipse "
    "becomes the prior — their **union** (the aggregate posterior q(z)) fills it. Too much β and "
    "every ellipse collapses onto the prior itself, forgetting x."
)
st.latex(
    r"\mathcal{L}(x) = \underbrace{-\mathbb{E}_{q(z|x)}\log p(x|z)}_{\text{reconstruction}}"
    r" + \beta\,\underbrace{\mathrm{KL}\big(q(z|x)\,\|\,\mathcal{N}(0,I)\big)}_{\text{pulls "
    r"each ellipse to the unit circle}},\qquad q(z) = \tfrac1N\textstyle\sum_i q(z|x_i)"
)


def curves_section() -> None:
    rows = ui.ladder_or_stop(dataset_name)
    left, right = st.columns(2)
    left.plotly_chart(coverage.ladder_curves(rows), key="kl.curves")
    left.caption(
        "Coverage: share of the prior's mass inside at least one ellipse (Monte Carlo, "
        f"M = {rows[0]['coverage_samples']:,}). Holes: share of the 2σ disc where "
        "q(z) < 0.1·p(z). Test set of " + dataset_name + "." + collapse.ladder_note(rows)
    )
    right.plotly_chart(coverage.rate_distortion(rows), key="kl.rd")
    right.caption(
        "Each point is a shipped model: lowering β buys sharper reconstructions with "
        "posteriors that drift away from the prior."
    )


def _subset_note(n: int) -> str:
    if n <= coverage.ANIMATION_MAX:
        return ""
    return (
        f" To keep every frame light it draws {coverage.ANIMATION_MAX:,} of the {n:,} test "
        "images, picked at random (the same ones at every rung)."
    )


def steps_section() -> None:
    ui.ladder_or_stop(dataset_name)  # a bad checkpoint: a clear message, not a traceback
    st.markdown("**Watch the ellipses morph** as β goes from off to 3.")
    st.plotly_chart(ui.ladder_animation(dataset_name), key="kl.animation")
    betas = ", ".join(f"{b:g}" for b in ladder.KL_BETAS if b)
    st.caption(
        f"Press ▶ play (❚❚ pauses), or pick a rung on the slider under the plane. Only the "
        f"rungs — KL off and β = {betas} — are trained models, each encoding the same test "
        f"images. The {coverage.LADDER_BETWEEN} frames between two rungs are interpolated, not "
        "trained: from rung a to rung b each sample's μ moves in a straight line and its σ "
        r"geometrically, $\mu_t = (1-t)\,\mu_a + t\,\mu_b$ and "
        r"$\sigma_t = \sigma_a^{1-t}\,\sigma_b^{\,t}$, so you can follow a sample as β grows. The "
        "plane's title says whether you see a trained rung or an interpolation. The animation "
        "runs in your browser." + _subset_note(len(ui.dataset(dataset_name).y_test))
    )
    move = ladder.largest_kl_move(dataset_name)
    if move is not None:
        st.caption(
            "The rungs are one model walked through β: β = 1 was trained first and each other "
            "rung went on training from its neighbour's weights, so a test image keeps its "
            f"place. From a rung to the next, its μ moves a median of at most {move:.2f} "
            "(each rung's codes scaled to RMS radius 1)."
        )


def aggregate_section() -> None:
    label = ui.literal(ui.model_label(model_name), None)  # a user's model name: plain text
    st.markdown(f"**{label}** (pick another model in the sidebar)")
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
        coverage.density_map(grid.centres, q, "q(z): the union of posteriors", zmax), key="kl.q"
    )
    cols[1].plotly_chart(coverage.density_map(grid.centres, p, "p(z) = N(0, I)", zmax), key="kl.p")
    cols[2].plotly_chart(
        coverage.holes_figure(
            grid.centres, geometry.holes_map(mu, sigma, grid), "holes: q(z) < 0.1·p(z) inside 2σ"
        ),
        key="kl.holes",
    )
    div = geometry.aggregate_divergences(mu, sigma, grid)
    m = st.columns(3)
    m[0].metric("KL(q‖p)", f"{div['kl']:.3f} nats", help=ui.COVERAGE_HELP["aggregate_kl"])
    m[1].metric(
        "JS(q, p)",
        f"{div['js']:.3f} nats",
        help="Jensen–Shannon divergence on the same grid cells: symmetric, at most log 2 = "
        "0.693 nats.",
    )
    m[2].metric(
        "holes",
        f"{geometry.holes_fraction(mu, sigma, grid):.1%}",
        help=ui.COVERAGE_HELP["holes_fraction"],
    )
    st.caption("Pick another model in the sidebar to compare; q and p share one colour scale.")


ui.sections(
    {
        "Coverage against β": curves_section,
        "Step through β": steps_section,
        "Aggregate posterior vs prior": aggregate_section,
    },
    key="kl.section",
)

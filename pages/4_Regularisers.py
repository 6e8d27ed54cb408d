"""Regularisers: the simple ‖μ‖² + ‖σ−1‖² penalty against the KL term, and what each does to σ."""

from __future__ import annotations

import streamlit as st

from vae_geom import ladder, penalties, ui
from vae_geom.figures import penalties as fp
from vae_geom.figures import plane

st.set_page_config(page_title="vae-geom · Regularisers", layout="wide")
ds_name, _ = ui.sidebar()
ds = ui.dataset(ds_name)
MODELS = ("vae-kl-1", "vae-simple-1")  # the same network, data, seed and β = 1; only the penalty
meta = {n: ui.load_or_stop(ds_name, n)[1] for n in MODELS}
codes = {n: ui.sample_posteriors(ds_name, n) for n in MODELS}
summary = {n: penalties.code_summary(*codes[n], meta[n]["model"]["logvar_min"]) for n in MODELS}
floor = penalties.sigma_floor(meta["vae-kl-1"]["model"]["logvar_min"])

st.title("Two ways to pull an ellipse to the unit circle")
st.markdown(
    "A regulariser charges each posterior N(μ, σ²) for straying from the prior N(0, 1), per "
    "latent dimension. Both penalties below are **0 exactly at μ = 0, σ = 1** — the ellipse *is* "
    "the unit circle. They differ at the edge **σ → 0**, where an ellipse becomes a point: the "
    "simple penalty charges at most 1 + μ² there, a price reconstruction gladly pays for sharp "
    "codes; the KL's −log σ² charges without limit, so ellipses shrink but never vanish."
)
st.latex(
    r"\text{simple} = \textstyle\sum_d \mu_d^2 + (\sigma_d - 1)^2 \qquad\qquad "
    r"\mathrm{KL} = \tfrac12\textstyle\sum_d \big(\mu_d^2 + \sigma_d^2 - \log\sigma_d^2 - 1\big)"
)

SAYS = {  # (title, caption) per model: what to see in its plane
    "vae-kl-1": ("KL: the ellipses stay open", "Together the"),
    "vae-simple-1": (
        "simple: the ellipses collapse to points or needles",
        "Its μ² costs twice the KL's ½μ², so the codes huddle near 0, yet the",
    ),
}


def penalties_section() -> None:
    left, right = st.columns(2)
    left.plotly_chart(fp.contour_figure(penalties.grid("simple"), note="σ → 0: at most 1 + μ²"))
    left.caption(
        "Squared distance to (0, 1): circles (axes not to scale). Near σ = 0 it stays low."
    )
    right.plotly_chart(fp.contour_figure(penalties.grid("kl"), note="σ → 0: → ∞"))
    right.caption("The same bowl, but its contours crowd against σ = 0: a wall, not a floor.")

    sigma = penalties.sigma_axis()
    marks = [
        (f"{n}: median σ = {summary[n]['median_sigma']:.3g}", summary[n]["median_sigma"], reg)
        for n, reg in zip(MODELS, ("kl", "simple"), strict=True)
    ]
    st.plotly_chart(fp.sigma_curve(sigma, penalties.along_sigma(sigma), marks, floor=floor))
    st.caption(
        f"At μ = 0. The simple penalty flattens at 1 nat; the KL climbs as −log σ forever. The "
        f"models clamp log σ² ≥ {meta['vae-kl-1']['model']['logvar_min']:g}, so σ ≥ {floor:.4f}: "
        "the simple model's σ sits on that floor, the KL model's stays well above it."
    )


def models_section() -> None:
    st.markdown(f"**The same VAE trained with each penalty** (β = 1) on {ds_name}.")
    for col, n in zip(st.columns(2), MODELS, strict=True):
        with col:
            fig = plane.latent_figure(
                *codes[n],
                ds.y_test,
                label_name=ds.label_name,
                class_names=ds.class_names,
                title=SAYS[n][0],
            )
            st.plotly_chart(fig, key=f"reg.{n}")
            st.caption(
                f"{ladder.spec_by_name(n).label}: median σ = {summary[n]['median_sigma']:.3g}, "
                f"{summary[n]['at_floor']:.0%} of σ on the floor. {SAYS[n][1]} ellipses cover "
                f"{meta[n]['test']['coverage_1']:.1%} of the prior's mass (coverage₁)."
            )
            ui.codes_download(*codes[n], ds.y_test, f"{ds_name}-{n}")

    helps, m = ui.COVERAGE_HELP, meta["vae-kl-1"]["test"].get("coverage_samples", 0)
    st.dataframe(
        [fp.comparison_row(n, meta[n]["test"], summary[n]) for n in MODELS],
        hide_index=True,
        column_config={  # the coverage figures keep the Explorer's definitions as their tooltips
            k: st.column_config.NumberColumn(label, format=f, help=helps.get(k, h).format(M=m))
            for k, (label, f, h) in fp.TABLE_COLUMNS.items()
        },
    )
    st.caption(
        "Test set. Recorded at training (checkpoint JSON): recon, KL, ELBO, coverage, KL(q‖p), "
        "holes. From the codes: the simple penalty, median σ and the share of σ on the floor. Each "
        "model wins on its own penalty; only the KL one keeps its ellipses open, and it covers far "
        "more of the prior."
    )


ui.sections(
    {
        "The two penalties": penalties_section,
        "The same VAE trained with each": models_section,
    },
    key="reg.section",
)

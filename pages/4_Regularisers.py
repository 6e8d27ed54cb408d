"""Regularisers: the simple ‖μ‖² + ‖σ−1‖² penalty against the KL term, and what each does to σ."""

from __future__ import annotations

import streamlit as st

from vae_geom import penalties, ui
from vae_geom.figures import penalties as fp
from vae_geom.figures import plane
from vae_geom.ui import lang
from vae_geom.ui.lang import t

st.set_page_config(page_title=t("regularisers.page_title"), layout="wide")
ds_name, _ = ui.sidebar()
code = lang.current()
ds = ui.dataset(ds_name)
MODELS = ("vae-kl-1", "vae-simple-1")  # the same network, data, seed and β = 1; only the penalty
meta = {n: ui.load_or_stop(ds_name, n)[1] for n in MODELS}
codes = {n: ui.sample_posteriors(ds_name, n) for n in MODELS}
summary = {n: penalties.code_summary(*codes[n], meta[n]["model"]["logvar_min"]) for n in MODELS}
floor = penalties.sigma_floor(meta["vae-kl-1"]["model"]["logvar_min"])

st.title(t("regularisers.title"))
st.markdown(t("regularisers.intro"))
st.latex(
    r"\text{"
    + t("regularisers.latex.simple")
    + r"} = \textstyle\sum_d \mu_d^2 + (\sigma_d - 1)^2 \qquad\qquad "
    r"\mathrm{KL} = \tfrac12\textstyle\sum_d \big(\mu_d^2 + \sigma_d^2 - \log\sigma_d^2 - 1\big)"
)

SAYS = {  # (title, caption) per model: what to see in its plane
    n: (t(f"regularisers.says.{n}.title"), t(f"regularisers.says.{n}.caption")) for n in MODELS
}


def penalties_section() -> None:
    left, right = st.columns(2)
    left.plotly_chart(
        fp.contour_figure(penalties.grid("simple"), note=t("regularisers.note.simple"), lang=code)
    )
    left.caption(t("regularisers.simple_caption"))
    right.plotly_chart(
        fp.contour_figure(penalties.grid("kl"), note=t("regularisers.note.kl"), lang=code)
    )
    right.caption(t("regularisers.kl_caption"))

    sigma = penalties.sigma_axis()
    marks = [
        (
            t("regularisers.mark", model=n, sigma=summary[n]["median_sigma"]),
            summary[n]["median_sigma"],
            reg,
        )
        for n, reg in zip(MODELS, ("kl", "simple"), strict=True)
    ]
    st.plotly_chart(
        fp.sigma_curve(sigma, penalties.along_sigma(sigma), marks, floor=floor, lang=code)
    )
    st.caption(
        t(
            "regularisers.curve_caption",
            logvar_min=meta["vae-kl-1"]["model"]["logvar_min"],
            floor=floor,
            simple_share=summary["vae-simple-1"]["at_floor"],
            simple_median=summary["vae-simple-1"]["median_sigma"],
            kl_share=summary["vae-kl-1"]["at_floor"],
            kl_median=summary["vae-kl-1"]["median_sigma"],
        )
    )


def models_section() -> None:
    st.markdown(t("regularisers.models_intro", dataset=ds_name))
    for col, n in zip(st.columns(2), MODELS, strict=True):
        with col:
            fig = plane.latent_figure(
                *codes[n],
                ds.y_test,
                label_name=ds.label_name,
                class_names=ds.class_names,
                title=SAYS[n][0],
                lang=code,
            )
            st.plotly_chart(fig, key=f"reg.{n}")
            st.caption(
                t(
                    "regularisers.model_caption",
                    label=t(f"model.{n}"),
                    sigma=summary[n]["median_sigma"],
                    floor=summary[n]["at_floor"],
                    says=SAYS[n][1],
                    coverage=meta[n]["test"]["coverage_1"],
                )
            )
            ui.codes_download(*codes[n], ds.y_test, f"{ds_name}-{n}")

    helps, m = ui.COVERAGE_HELP, meta["vae-kl-1"]["test"].get("coverage_samples", 0)
    st.dataframe(
        [fp.comparison_row(n, meta[n]["test"], summary[n]) for n in MODELS],
        hide_index=True,
        column_config={  # the coverage figures keep the Explorer's definitions as their tooltips
            "model": st.column_config.TextColumn(t("regularisers.col.model")),
            **{
                k: st.column_config.NumberColumn(label, format=f, help=helps.get(k, h).format(M=m))
                for k, (label, f, h) in fp.table_columns(code).items()
            },
        },
    )
    st.caption(t("regularisers.table_caption"))


ui.sections(
    {
        "regularisers.tab.penalties": penalties_section,
        "regularisers.tab.models": models_section,
    },
    key="reg.section",
)

"""Code space shapes: scattered, line, ring or disc, and three measures that tell them apart."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from vae_geom import ladder, shapes, ui
from vae_geom.figures import shapes as fs

st.set_page_config(page_title="vae-geom · Code space shapes", layout="wide")
ds_name, model_name = ui.sidebar()
ds = ui.dataset(ds_name)
for spec in ladder.SPECS:  # every rung is measured below: stop with a clear message if one is bad
    ui.load_or_stop(ds_name, spec.name)


@st.cache_data(show_spinner=False)
def examples(n: int = 500, seed: int = 0) -> dict:
    """The four generated shapes: {kind: (points (n, 2), measures)}."""
    points = {kind: shapes.make_shape(kind, n, seed) for kind in shapes.KINDS}
    return {kind: (p, shapes.measures(p)) for kind, p in points.items()}


@st.cache_data(show_spinner="Measuring every model's codes…")
def ladder_table(dataset_name: str) -> pd.DataFrame:
    """The measures and verdict of every shipped model's test-set mu codes."""
    codes = {s.name: ui.sample_posteriors(dataset_name, s.name)[0] for s in ladder.SPECS}
    table = pd.DataFrame(shapes.measure_all(codes))
    table.insert(1, "label", [s.label for s in ladder.SPECS])
    return table


st.title("The shape of a code space: scattered, line, ring or disc")
st.markdown(
    "An autoencoder puts its codes wherever reconstruction likes them. They can lie **scattered** "
    "in clumps with empty gaps, on a **line** (one latent dimension wasted), on a **ring** (a hole "
    "in the middle) — or fill a **disc**: compact, continuous, no gaps, which is what the VAE's "
    "KL term asks for. Three numbers tell the shapes apart. Each is computed on the **whitened** "
    "codes w (moved to the origin, turned onto their principal axes, scaled to unit variance), so "
    "it sees shape only, not position or size."
)
st.latex(
    r"\begin{gathered}\text{flatness} = 1 - \lambda_{\min}/\lambda_{\max}\ \text{ of }\ "
    r"\Sigma = \mathrm{cov}(\mu) = V\Lambda V^\top,\qquad "
    r"w_i = \Lambda^{-1/2}V^\top(\mu_i - \bar\mu)\\ \text{central hole} = 1 - "
    r"\min\!\Big(1, \frac{\rho(3/4)}{\rho(3/2)}\Big),\quad \rho(r) = "
    r"\frac{\#\{i : \lVert w_i\rVert < r\}}{\pi r^2}\\ \text{gaps} = \text{share of "
    r"the 0.1-wide cells with } \lVert w\rVert \le 2 \text{ where } \tfrac1n\textstyle"
    r"\sum_i \mathcal N(w;\, w_i,\, h^2 I) < 0.1\,\mathcal N(w;\, 0, I),"
    rf"\ h = {shapes.BLUR:g}\end{{gathered}}"
)
st.caption(f"The verdict is the first rule that fires: {shapes.rules()}.")


def made_up_section() -> None:
    st.markdown("**Four made-up code spaces** (500 points each): one of each shape.")
    for col, (kind, (points, m)) in zip(st.columns(4), examples().items(), strict=True):
        col.plotly_chart(fs.shape_figure(points, f"generated: {kind}"), key=f"shapes.{kind}")
        col.caption(shapes.describe(m))


def ladder_section() -> None:
    st.markdown(f"**Every shipped model's codes**, {ui.DATASET_LABELS[ds_name]}.")
    table = ladder_table(ds_name)
    fmt = {
        k: st.column_config.NumberColumn(k.replace("_", " "), format="%.3f")
        for k in shapes.THRESHOLDS
    }
    st.dataframe(table, hide_index=True, column_config=fmt, key="shapes.table")
    st.caption(
        "The μ of every test image, per model. Spread is the RMS radius ‖μ‖ (1.41 for codes "
        "drawn from N(0, I)): the measures ignore size, so an AE's vast cloud can still be a "
        "'disc'. The shipped AE went on training from the β = 1 VAE (so that every page shows "
        "the same images in the same places), and its codes kept the VAE's shape: nothing in an "
        "AE's loss pushes codes apart, and nothing pulls them together either. An AE trained from "
        "scratch puts its codes wherever its first steps sent them: train one on **Train your "
        "own** (kind AE) and open it here to see which shape it finds."
    )


def model_section() -> None:
    ui.load_or_stop(ds_name, model_name)  # a model that cannot be read: a message, not a traceback
    mu, sigma = ui.sample_posteriors(ds_name, model_name)
    m = shapes.measures(mu)
    label = ui.literal(ui.model_label(model_name), None)  # a user's model name: plain text
    st.markdown(f"**{label}: what the measures see** (pick another model in the sidebar).")
    left, right = st.columns(2)
    left.plotly_chart(
        fs.codes_figure(
            mu,
            ds.y_test,
            ds.label_name,
            "μ codes, as the encoder places them",
            class_names=ds.class_names,
        ),
        key="shapes.codes",
    )
    left.caption(shapes.describe(m))
    right.plotly_chart(
        fs.whitened_figure(
            shapes.whiten(mu), shapes.gap_map(mu), "whitened codes w, gap cells red"
        ),
        key="shapes.whitened",
    )
    right.caption(
        "The same codes whitened. Red: the gap cells inside the 2σ circle (black dashed), where "
        "N(0, I) expects codes; orange: the centre (solid, radius 3/4) and surroundings (dotted, "
        "3/2) whose densities the central hole compares."
    )
    ui.codes_download(mu, sigma, ds.y_test, f"{ds_name}-{model_name}")


ui.sections(
    {
        "Four made-up code spaces": made_up_section,
        "Every shipped model": ladder_section,
        "One model, measured": model_section,
    },
    key="shapes.section",
)

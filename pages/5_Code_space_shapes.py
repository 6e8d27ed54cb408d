"""Code space shapes: scattered, line, ring or disc, and three measures that tell them apart."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from vae_geom import i18n, ladder, shapes, ui
from vae_geom.figures import shapes as fs
from vae_geom.ui import lang
from vae_geom.ui.lang import t

st.set_page_config(page_title=t("shapes.page_title"), layout="wide")
ds_name, model_name = ui.sidebar()
code = lang.current()
ds = ui.dataset(ds_name)
for spec in ladder.SPECS:  # every rung is measured below: stop with a clear message if one is bad
    ui.load_or_stop(ds_name, spec.name)


@st.cache_data(show_spinner=False)
def examples(n: int = 500, seed: int = 0) -> dict:
    """The four generated shapes: {kind: (points (n, 2), measures)}."""
    points = {kind: shapes.make_shape(kind, n, seed) for kind in shapes.KINDS}
    return {kind: (p, shapes.measures(p)) for kind, p in points.items()}


def kind(verdict: str, lang_code: str) -> str:
    """A verdict ("disc") in a language."""
    return i18n.t(f"shapes.kind.{verdict}", lang_code)


def describe(m: dict[str, float]) -> str:
    """`shapes.describe` in the session's language: the verdict, its meaning, the measures."""
    v = shapes.classify(m)
    return t("shapes.describe", verdict=kind(v, code), meaning=t(f"shapes.meaning.{v}"), **m)


def rules() -> str:
    """`shapes.rules` in the session's language, read from `shapes.THRESHOLDS`."""
    return t("shapes.rules", **shapes.THRESHOLDS)


@st.cache_data(show_spinner=False)
def _ladder_table(dataset_name: str, lang_code: str) -> pd.DataFrame:
    codes = {s.name: ui.sample_posteriors(dataset_name, s.name)[0] for s in ladder.SPECS}
    table = pd.DataFrame(shapes.measure_all(codes))
    table.insert(1, "label", [i18n.t(f"model.{s.name}", lang_code) for s in ladder.SPECS])
    if lang_code != i18n.DEFAULT:  # the verdicts in words of the language; in English, the ids
        table["verdict"] = [kind(v, lang_code) for v in table["verdict"]]
    return table


def ladder_table(dataset_name: str) -> pd.DataFrame:
    """The measures and verdict of every shipped model's test-set mu codes, in the session's
    language (cached per dataset and language: its labels and verdicts are words)."""
    with st.spinner(t("shapes.measuring")):
        return _ladder_table(dataset_name, code)


st.title(t("shapes.title"))
st.markdown(t("shapes.intro"))
# the three measures' definitions fold away, so the figures start on a projector's first screen
st.expander(t("shapes.how_measured")).latex(
    r"\begin{gathered}\text{"
    + t("shapes.latex.flatness")
    + r"} = 1 - \lambda_{\min}/\lambda_{\max}\ \text{"
    + t("shapes.latex.of")
    + r"}\ \Sigma = \mathrm{cov}(\mu) = V\Lambda V^\top,\qquad "
    r"w_i = \Lambda^{-1/2}V^\top(\mu_i - \bar\mu)\\ \text{"
    + t("shapes.latex.central_hole")
    + r"} = 1 - \min\!\Big(1, \frac{\rho(3/4)}{\rho(3/2)}\Big),\quad \rho(r) = "
    r"\frac{\#\{i : \lVert w_i\rVert < r\}}{\pi r^2}\\ \text{"
    + t("shapes.latex.gaps")
    + r"} = \text{"
    + t("shapes.latex.share")
    + r"} \lVert w\rVert \le 2\\ \text{"
    + t("shapes.latex.where")
    + r"} \tfrac1n\textstyle"
    r"\sum_i \mathcal N(w;\, w_i,\, h^2 I) < 0.1\,\mathcal N(w;\, 0, I),"
    rf"\ h = {shapes.BLUR:g}\end{{gathered}}"
)
st.caption(t("shapes.rules_caption", rules=rules()))


def made_up_section() -> None:
    st.markdown(t("shapes.made_up"))
    for col, (name, (points, m)) in zip(st.columns(4), examples().items(), strict=True):
        title = t("shapes.generated", kind=kind(name, code))
        col.plotly_chart(fs.shape_figure(points, title, lang=code), key=f"shapes.{name}")
        col.caption(describe(m))


def ladder_section() -> None:
    st.markdown(t("shapes.ladder", dataset=ui.DATASET_LABELS[ds_name]))
    table = ladder_table(ds_name)
    fmt = {
        k: st.column_config.NumberColumn(t(f"shapes.measure.{k}"), format="%.3f")
        for k in shapes.THRESHOLDS
    }
    for k in ("model", "label", "verdict"):
        fmt[k] = st.column_config.TextColumn(t(f"shapes.col.{k}"))
    st.dataframe(table, hide_index=True, column_config=fmt, key="shapes.table")
    st.caption(t("shapes.ladder_caption"))


def model_section() -> None:
    ui.load_or_stop(ds_name, model_name)  # a model that cannot be read: a message, not a traceback
    mu, sigma = ui.sample_posteriors(ds_name, model_name)
    m = shapes.measures(mu)
    label = ui.literal(ui.model_label(model_name), None)  # a user's model name: plain text
    st.markdown(t("shapes.model", label=label))
    left, right = st.columns(2)
    left.plotly_chart(
        fs.codes_figure(
            mu,
            ds.y_test,
            ds.label_name,
            t("shapes.codes_title"),
            class_names=ds.class_names,
            lang=code,
        ),
        key="shapes.codes",
    )
    left.caption(describe(m))
    right.plotly_chart(
        fs.whitened_figure(
            shapes.whiten(mu), shapes.gap_map(mu), t("shapes.whitened_title"), lang=code
        ),
        key="shapes.whitened",
    )
    right.caption(t("shapes.whitened_caption"))
    ui.codes_download(mu, sigma, ds.y_test, f"{ds_name}-{model_name}")


ui.sections(
    {
        "shapes.tab.made_up": made_up_section,
        "shapes.tab.ladder": ladder_section,
        "shapes.tab.model": model_section,
    },
    key="shapes.section",
)

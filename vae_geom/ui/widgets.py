"""Page furniture shared by several pages: sections, downloads, coverage metrics, the ladder.

`sections` and `keep_widgets` draw only the open tab while keeping closed tabs' widget values;
the rest turn a model's recorded figures and codes into metrics, a CSV download, a β slider and
the KL ladder's animation.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import streamlit as st

from vae_geom import i18n, ladder
from vae_geom.ui import lang
from vae_geom.ui.lang import t
from vae_geom.ui.loaders import dataset, sample_posteriors
from vae_geom.ui.sidebar import KEY_MODEL


def sections(parts: dict[str, Callable[[], None]], key: str) -> None:
    """A page's parts as tabs ({catalogue key of the tab's label: function drawing it}) of which
    only the open one runs, so only its charts are computed, sent and drawn.

    A fresh browser tab spends ~0.5 s of its main thread on each plane of 1,000 ellipses, so
    pages drawing every part at once took 3.6-4.9 s to load (BENCHMARKS.md). Switching tabs
    reruns the page. Widgets in a closed tab are not drawn, and Streamlit forgets the values of
    widgets a run does not draw: give them to `keep_widgets` so they survive. The open tab is in
    the URL (?key=label; the first tab is left out), so a copied link opens the same tab, in
    either language (`_open_named`).
    """
    labels = [t(name) for name in parts]
    _open_named(key, list(parts), labels)
    tabs = st.tabs(labels, key=key, on_change="rerun", bind="query-params")
    for tab, draw in zip(tabs, parts.values(), strict=True):
        if tab.open:
            with tab:
                draw()


def _open_named(key: str, names: list[str], labels: list[str]) -> None:
    """Open the tab that the link or the last run named, in any language, under this language's
    label. Streamlit selects a tab by its label, so a tab named in another language (a link made
    in it, or the run before a language switch) is mapped here, before the tabs read it; Streamlit
    drops such a link's value on the first run (not a label here), so the next run writes the tab
    back into the link, in this language."""
    state = st.session_state
    held = state.get(key, st.query_params.get(key))  # the first run: the link's
    here = dict(zip(names, labels, strict=True))
    aliases = {i18n.t(n, other): here[n] for n in names for other in i18n.LANGUAGES}
    if held in aliases and aliases[held] != held:
        state[key] = aliases[held]
    elif held in labels[1:] and key not in st.query_params:
        state[key] = held


def keep_widgets(defaults: dict) -> None:
    """Set these widget keys to their defaults once, and carry their values through runs that
    do not draw the widgets (a closed section). Such widgets take no value/default argument:
    Session State is their one source (Streamlit warns when both are given)."""
    for key, default in defaults.items():
        st.session_state[key] = st.session_state.get(key, default)


def codes_csv(mu: np.ndarray, sigma: np.ndarray, labels: np.ndarray) -> str:
    """The latent codes as CSV text: index, label, mu1, mu2, sigma1, sigma2."""
    table = np.column_stack([np.arange(len(mu)), labels, mu, sigma])
    buf = io.StringIO()
    np.savetxt(
        buf,
        table,
        delimiter=",",
        fmt=["%d", "%d", "%.6g", "%.6g", "%.6g", "%.6g"],
        header="index,label,mu1,mu2,sigma1,sigma2",
        comments="",
    )
    return buf.getvalue()


def codes_download(mu: np.ndarray, sigma: np.ndarray, labels: np.ndarray, stem: str) -> None:
    st.download_button(
        t("widgets.download"),
        codes_csv(mu, sigma, labels),
        file_name=f"{stem}-codes.csv",
        mime="text/csv",
        help=t("widgets.download_help"),
    )


class _CoverageHelp:
    """COVERAGE_HELP[key]: a coverage figure's definition in the session's language, its {M:,}
    (the number of Monte Carlo draws) left to fill with .format(M=...)."""

    KEYS = ("coverage_1", "coverage_2", "aggregate_kl", "holes_fraction")

    def get(self, key: str, default: str | None = None) -> str | None:
        if key not in self.KEYS:
            return default
        return i18n.catalogue(lang.current())[f"widgets.help.{key}"]

    def __getitem__(self, key: str) -> str:
        if key not in self.KEYS:
            raise KeyError(key)
        return self.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self.KEYS

    def keys(self) -> tuple[str, ...]:
        return self.KEYS


COVERAGE_HELP = _CoverageHelp()


def coverage_metrics(test: dict) -> None:
    """The model's recorded coverage figures as metrics, each with its definition: the shares of
    the prior's disc in one row, the figures in nats in the next (five in a row cut "0.583 nats"
    to "0.583 n…" at a projector's 1280 px)."""
    shares, nats = st.columns(3), st.columns(3)
    m = test.get("coverage_samples", 0)
    shares[0].metric(
        t("widgets.coverage_1"),
        f"{test['coverage_1']:.1%}",
        help=COVERAGE_HELP["coverage_1"].format(M=m),
    )
    shares[1].metric(
        t("widgets.coverage_2"), f"{test['coverage_2']:.1%}", help=COVERAGE_HELP["coverage_2"]
    )
    shares[2].metric(
        t("widgets.holes"), f"{test['holes_fraction']:.1%}", help=COVERAGE_HELP["holes_fraction"]
    )
    nats[0].metric(
        t("widgets.aggregate_kl"),
        f"{test['aggregate_kl']:.3f} nats",
        help=COVERAGE_HELP["aggregate_kl"],
    )
    elbo = "—" if test["elbo"] is None else f"{test['elbo']:.1f} nats"
    nats[1].metric(t("widgets.elbo"), elbo, help=t("widgets.elbo_help"))


LADDER_SLIDER = [s.name for s in ladder.SPECS if s.regulariser != "simple"]


def ladder_slider(key: str) -> None:
    """Step along the KL ladder (AE, KL off, β = 0.1 … 3); drives the sidebar's model picker."""
    current = st.session_state.get(KEY_MODEL)
    if current not in LADDER_SLIDER:
        st.caption(t("widgets.slider_simple"))
        return
    st.session_state[key] = current

    def follow() -> None:
        st.session_state[KEY_MODEL] = st.session_state[key]

    words = {"ae": t("widgets.slider_ae"), "vae-kl-0": t("widgets.slider_kl_off")}
    st.select_slider(
        t("widgets.slider"),
        LADDER_SLIDER,
        key=key,
        on_change=follow,
        format_func=lambda n: words.get(n, f"β = {ladder.spec_by_name(n).beta:g}"),
    )


def ladder_animation(dataset_name: str):
    """The KL ladder's ellipses as one animated figure that morphs between the trained rungs,
    in the session's language (cached per dataset and language)."""
    code = lang.current()
    with st.spinner(i18n.t("widgets.drawing_ladder", code)):
        return _ladder_animation(dataset_name, code)


@st.cache_data(show_spinner=False, max_entries=6)
def _ladder_animation(dataset_name: str, lang_code: str):
    """`ladder_animation` in one language: its titles, legend and buttons hold text."""
    from vae_geom.figures import coverage

    ds = dataset(dataset_name)
    keep = coverage.animation_subset(len(ds.y_test))  # the same samples in every rung
    rungs = [
        (s.beta, *(a[keep] for a in sample_posteriors(dataset_name, s.name)))
        for s in ladder.SPECS
        if s.regulariser == "kl"
    ]
    return coverage.ladder_animation(
        rungs,
        ds.y_test[keep],
        label_name=ds.label_name,
        class_names=ds.class_names,
        lang=lang_code,
    )

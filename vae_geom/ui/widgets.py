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

from vae_geom import ladder
from vae_geom.ui.loaders import dataset, sample_posteriors
from vae_geom.ui.sidebar import KEY_MODEL


def sections(parts: dict[str, Callable[[], None]], key: str) -> None:
    """A page's parts as tabs ({label: function drawing it}) of which only the open one runs,
    so only its charts are computed, sent and drawn.

    A fresh browser tab spends ~0.5 s of its main thread on each plane of 1,000 ellipses, so
    pages drawing every part at once took 3.6-4.9 s to load (BENCHMARKS.md). Switching tabs
    reruns the page. Widgets in a closed tab are not drawn, and Streamlit forgets the values of
    widgets a run does not draw: give them to `keep_widgets` so they survive. The open tab is in
    the URL (?key=label; the first tab is left out), so a copied link opens the same tab.
    """
    tabs = st.tabs(list(parts), key=key, on_change="rerun", bind="query-params")
    for tab, draw in zip(tabs, parts.values(), strict=True):
        if tab.open:
            with tab:
                draw()


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
        "Download the codes (CSV)",
        codes_csv(mu, sigma, labels),
        file_name=f"{stem}-codes.csv",
        mime="text/csv",
        help="μ and σ of every test sample, with its label. Figures download as PNG "
        "from the camera icon in each chart's toolbar.",
    )


COVERAGE_HELP = {
    "coverage_1": "P over z ~ N(0, I) that z lies inside at least one 1σ ellipse: "
    "Σ_d ((z_d − μ_id)/σ_id)² ≤ 1 for some sample i. Monte Carlo with {M:,} fixed draws. "
    "0 for an AE: points cover nothing.",
    "coverage_2": "The same with 2σ ellipses (k = 2).",
    "aggregate_kl": "KL(q‖p) between the union of posteriors q(z) = (1/N) Σᵢ N(z; μᵢ, σᵢ²) and "
    "the prior, on a 0.1-wide grid over [−4, 4]² (plus one cell for outside it).",
    "holes_fraction": "Share of the grid cells inside the prior's 2σ circle where "
    "q(z) < 0.1 · p(z): places the prior samples but no posterior reaches.",
}


def coverage_metrics(test: dict) -> None:
    """The model's recorded coverage figures as metrics, each with its definition."""
    cols = st.columns(5)
    m = test.get("coverage_samples", 0)
    cols[0].metric(
        "coverage₁", f"{test['coverage_1']:.1%}", help=COVERAGE_HELP["coverage_1"].format(M=m)
    )
    cols[1].metric("coverage₂", f"{test['coverage_2']:.1%}", help=COVERAGE_HELP["coverage_2"])
    cols[2].metric(
        "aggregate KL(q‖p)", f"{test['aggregate_kl']:.3f} nats", help=COVERAGE_HELP["aggregate_kl"]
    )
    cols[3].metric("holes", f"{test['holes_fraction']:.1%}", help=COVERAGE_HELP["holes_fraction"])
    elbo = "—" if test["elbo"] is None else f"{test['elbo']:.1f} nats"
    cols[4].metric(
        "test ELBO",
        elbo,
        help="−(reconstruction + KL) per test image, one z draw "
        "per image. Undefined for an AE (a point has no density).",
    )


LADDER_SLIDER = [s.name for s in ladder.SPECS if s.regulariser != "simple"]


def ladder_slider(key: str) -> None:
    """Step along the KL ladder (AE, KL off, β = 0.1 … 3); drives the sidebar's model picker."""
    current = st.session_state.get(KEY_MODEL)
    if current not in LADDER_SLIDER:
        st.caption(
            "The simple regulariser is selected in the sidebar; pick a KL model there "
            "to step along the β ladder."
        )
        return
    st.session_state[key] = current

    def follow() -> None:
        st.session_state[KEY_MODEL] = st.session_state[key]

    st.select_slider(
        "KL weight β — slide left to switch the KL off and watch the ellipses shrink to points",
        LADDER_SLIDER,
        key=key,
        on_change=follow,
        format_func=lambda n: {"ae": "AE (no noise)", "vae-kl-0": "KL off (β = 0)"}.get(
            n, f"β = {ladder.spec_by_name(n).beta:g}"
        ),
    )


@st.cache_data(show_spinner="Drawing every rung of the ladder…", max_entries=3)
def ladder_animation(dataset_name: str):
    """The KL ladder's ellipses as one animated figure that morphs between the trained rungs
    (cached per dataset)."""
    from vae_geom.figures import coverage

    ds = dataset(dataset_name)
    keep = coverage.animation_subset(len(ds.y_test))  # the same samples in every rung
    rungs = [
        (s.beta, *(a[keep] for a in sample_posteriors(dataset_name, s.name)))
        for s in ladder.SPECS
        if s.regulariser == "kl"
    ]
    return coverage.ladder_animation(
        rungs, ds.y_test[keep], label_name=ds.label_name, class_names=ds.class_names
    )

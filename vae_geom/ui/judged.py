"""The judge of decoded images, cached: a dataset's judge, a model's judged figures and prior draws.

The judge is read once per file version (cache_resource: one read-only object for every session);
what it says of a model is cached by the model's checkpoint path and file version, as encodings
are (loaders), so a model or judge replaced on disk is judged anew.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from vae_geom import checkpoints, judge, ladder
from vae_geom.figures import judge as fj
from vae_geom.models import VAE, decode_images
from vae_geom.ui.loaders import _current, _file_version, _stem, dataset
from vae_geom.ui.sidebar import model_label


def judge_or_none(dataset_name: str) -> tuple[judge.Judge | None, str | None]:
    """(the dataset's judge, None), or (None, why there is none): a page shows the reason and
    goes on without the judged parts."""
    stem = judge.judge_stem(dataset_name)
    try:
        return _judge(str(stem), _file_version(stem)), None
    except judge.JudgeError as e:
        return None, str(e)


@st.cache_resource(show_spinner=False, max_entries=16)
def _judge(stem: str, version: tuple) -> judge.Judge:
    return judge.load_judge(stem)


def recognised_sample(dataset_name: str, model_name: str) -> int:
    """The test sample a page opens on: the first the judge reads as its own class once
    reconstructed (0 without a judge)."""
    j, _ = judge_or_none(dataset_name)
    if j is None:
        return 0
    m, key = _model(dataset_name, model_name)
    return _recognised(dataset_name, *key, m, j)


# keyed like the encodings: by the checkpoint's path and file version, never by a model's name
@st.cache_data(show_spinner=False, max_entries=64)
def _recognised(dataset_name: str, stem: str, version: tuple, _m: VAE, _j: judge.Judge) -> int:
    ds = dataset(dataset_name)
    return judge.first_recognised(_m, ds.x_test, ds.y_test, _j)


def scores(dataset_name: str, model_name: str, j: judge.Judge) -> dict:
    """judge.judge_scores of a model: agreement, knn_mu, prior_real, prior_class_tv."""
    m, key = _model(dataset_name, model_name)
    return _scores(dataset_name, *key, _judge_key(dataset_name), m, j)


def prior_judged(
    dataset_name: str, model_name: str, j: judge.Judge
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(z, labels, top probabilities) of the judged prior draws (judge.judge_prior)."""
    m, key = _model(dataset_name, model_name)
    return _prior(*key, _judge_key(dataset_name), m, j)


def worst_z(dataset_name: str, model_name: str, j: judge.Judge) -> tuple[np.ndarray, float]:
    """(z, top probability): the judge's pick of a hole inside the prior's 2-sigma disc."""
    z, _, top = prior_judged(dataset_name, model_name, j)
    i = judge.least_real(z, top)  # the pick of judge.worst_prior_sample, from the cached draws
    return z[i], float(top[i])


def _model(dataset_name: str, model_name: str) -> tuple[VAE, tuple[str, tuple]]:
    m, _, version, _ = _current(dataset_name, model_name)
    return m, (str(_stem(dataset_name, model_name)), version)


def _judge_key(dataset_name: str) -> tuple:
    return _file_version(judge.judge_stem(dataset_name))


# An entry is a few floats, or 2,000 draws' z, labels and probabilities (48 kB)
@st.cache_data(show_spinner="Judging the model's decodes…", max_entries=128)
def _scores(
    dataset_name: str, stem: str, version: tuple, judge_version: tuple, _m: VAE, _j: judge.Judge
) -> dict:
    return judge.judge_scores(_m, dataset(dataset_name), _j)


@st.cache_data(show_spinner=False, max_entries=64)
def _prior(
    stem: str, version: tuple, judge_version: tuple, _m: VAE, _j: judge.Judge
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return judge.judge_prior(_m, _j)


def ae_codes_note(meta: dict, spread: float) -> str:
    """The AE plane's caption on where its codes are, worded from the shipped record: the AE of
    the ladder went on training from the beta = 1 VAE, so the same images keep their places."""
    move = meta.get("median_move_from_parent")
    text = f"The AE's codes have an RMS radius of {spread:.2f} (samples of the prior: 1.41)."
    if move is None or meta.get("continued_from") != "vae-kl-1":
        return text
    return (
        f"{text} The same images as on the right, now as points: this AE went on training from "
        f"the β = 1 VAE with the noise and the KL switched off, and a test image's code moved a "
        f"median {move:.2f} (codes scaled to RMS radius 1)."
    )


def pick_note(pick: tuple[np.ndarray, float] | None, j: judge.Judge | None) -> str:
    """The AE plane's caption on the judge's pick (empty without a judge). A hole is chosen by
    what the decoder makes of it, not by where codes are missing: inside the prior's disc the
    AE's codes may lie dense, and the caption of the decoded z says how far the nearest is."""
    if pick is None or j is None:
        return ""
    z, top = pick
    where = (
        f"The red × at ({z[0]:.2f}, {z[1]:.2f}) is the judge's pick: of "
        f"{judge.PRIOR_SAMPLES:,} prior draws, the one inside the 2σ circle whose AE decode looks "
        f"least like real data: the judge is {top:.0%} sure of its class"
    )
    if top < j.tau:
        return f"{where}, below the τ = {j.tau:.2f} that 90% of real images reach."
    return f"{where}, yet that reaches τ = {j.tau:.2f}: even the worst looks real to it."


COLUMNS = {
    "prior_real": (
        "looks real",
        "Of the prior samples' decodes, the fraction whose top judged "
        "probability reaches τ (as 90% of real test images do).",
    ),
    "prior_class_tv": (
        "class-mix TV",
        "Total-variation distance between the judged classes of "
        "the prior samples and the real training data's classes: 0 = the same "
        "mix, 1 = no class in common.",
    ),
    "agreement": (
        "judge agrees with decode(μ(x))",
        "On test images x: the judge's class of the reconstruction decode(μ(x)) is x's label.",
    ),
    "knn_mu": (
        "kNN accuracy of μ",
        "10 nearest training codes μ vote on a test code's label: "
        "how well the codes alone tell the classes apart.",
    ),
}

NOT_PERCENT = ("prior_class_tv",)  # the rest are fractions, shown as percentages


def judged_prior(dataset_name: str, ds, j: judge.Judge, models: dict[str, str]) -> None:
    """Points vs ellipses' "Sampling the prior, judged": the judge, every rung's figures, what
    they say about the AE against the VAE, the class mix, and example decodes. models: {shown
    name: model name} of the AE, then the VAE."""
    (ae_shown, ae_name), (vae_shown, vae_name) = models.items()
    classes = (
        "" if ds.label_name in ("digit", "class") else f" (its classes here: {ds.label_name}s)"
    )
    st.markdown(
        f"Decode M = {judge.PRIOR_SAMPLES:,} draws z ~ N(0, I) and ask an **independent "
        "judge** what came out: a logistic-regression classifier of the real training images' "
        "pixels, which never saw "
        f"a decode{classes}. On real test images it is right **{j.accuracy:.1%}** of the time. "
        f"A decode **looks real** when the judge's top probability reaches τ = {j.tau:.2f}, "
        "which 90% of real test images reach. The **class-mix TV** is the total-variation "
        "distance between the judged classes of the samples and the real data's classes: half "
        "the sum over classes of the difference in frequency; 0 = the same mix, 1 = none shared."
    )
    st.latex(
        r"\mathrm{TV}(p, q) = \tfrac12 \sum_c \lvert p_c - q_c\rvert,\qquad "
        rf"z_m \sim \mathcal{{N}}(0, I),\ m = 1 \dots {judge.PRIOR_SAMPLES:,}"
    )
    rows = _table(dataset_name, j)
    st.dataframe(
        rows,
        hide_index=True,
        key="points.judged",
        column_config={"model": st.column_config.TextColumn("model")}
        | {
            k: st.column_config.NumberColumn(
                label, format="%.2f" if k in NOT_PERCENT else "%.1f%%", help=h
            )
            for k, (label, h) in COLUMNS.items()
        },
    )
    ae, vae = (scores(dataset_name, n, j) for n in (ae_name, vae_name))
    text = judge.summary(ae, vae, f"the {vae_shown}")
    _, ae_labels, _ = prior_judged(dataset_name, ae_name, j)
    data_freq = judge.class_frequencies(ds.y_train, j.classes)
    ae_freq = judge.class_frequencies(ae_labels, j.classes)
    note = judge.skew_note(ae_freq, data_freq, j.classes, f"The {ae_shown}", ds.label_text)
    st.markdown(f"**What is true here:** {text} {note}")
    _figures(dataset_name, ds, j, models, data_freq)


def _table(dataset_name: str, j: judge.Judge) -> list[dict]:
    """One row per shipped rung that loads: its label and judged figures."""
    rows = []
    for spec in ladder.SPECS:
        try:
            s = scores(dataset_name, spec.name, j)
        except checkpoints.CheckpointError:  # the page's own models say why; a rung is skipped
            continue
        shown = {k: s[k] if k in NOT_PERCENT else 100 * s[k] for k in COLUMNS}
        rows.append({"model": model_label(spec.name, dataset_name)} | shown)
    return rows


EXAMPLES = 8  # the first draws, decoded by both models: one row each


def _figures(dataset_name: str, ds, j: judge.Judge, names: dict[str, str], data_freq) -> None:
    left, right = st.columns([2, 3])
    mixes, rows = {}, {}
    for shown, name in names.items():
        z, labels, top = prior_judged(dataset_name, name, j)
        mixes[shown] = judge.class_frequencies(labels, j.classes)
        m, _ = _model(dataset_name, name)
        images = decode_images(m, z[:EXAMPLES])
        rows[shown] = (images, labels[:EXAMPLES], top[:EXAMPLES])
    fig = fj.class_mix_figure(j.classes, data_freq, mixes, ds.label_name)
    left.plotly_chart(fig, key="pv_mix", config=CONFIG)
    right.plotly_chart(
        fj.examples_figure(rows, ds.image_shape, j.tau), key="pv_examples", config=CONFIG
    )
    right.caption(
        f"The first {EXAMPLES} of the same draws z, decoded by each model; above each, the "
        "judge's class and how sure it is (red: below τ, not like real data). The toolbar "
        "downloads either figure as PNG."
    )


CONFIG = {"displaylogo": False}

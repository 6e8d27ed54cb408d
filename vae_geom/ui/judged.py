"""The judge of decoded images, cached: a dataset's judge, a model's judged figures and prior draws.

The judge is read once per file version (cache_resource: one read-only object for every session);
what it says of a model is cached by the model's checkpoint path and file version, as encodings
are (loaders), so a model or judge replaced on disk is judged anew.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from vae_geom import checkpoints, i18n, judge, ladder
from vae_geom.figures import judge as fj
from vae_geom.models import VAE, decode_images
from vae_geom.ui import lang
from vae_geom.ui.lang import said, t
from vae_geom.ui.loaders import _current, _file_version, _stem, dataset
from vae_geom.ui.sidebar import model_label


def judge_or_none(dataset_name: str) -> tuple[judge.Judge | None, str | None]:
    """(the dataset's judge, None), or (None, why there is none): a page shows the reason and
    goes on without the judged parts."""
    stem = judge.judge_stem(dataset_name)
    try:
        return _judge(str(stem), _file_version(stem)), None
    except judge.JudgeError as e:
        return None, said(e)  # in the session's language


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
    with st.spinner(t("judge.spinner")):  # shown only while a model is judged, not on a hit
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
@st.cache_data(show_spinner=False, max_entries=128)
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
    text = t("judge.ae_codes", spread=spread)
    if move is None or meta.get("continued_from") != "vae-kl-1":
        return text
    return t("judge.ae_moved", text=text, move=move)


def pick_note(pick: tuple[np.ndarray, float] | None, j: judge.Judge | None) -> str:
    """The AE plane's caption on the judge's pick (empty without a judge). A hole is chosen by
    what the decoder makes of it, not by where codes are missing: inside the prior's disc the
    AE's codes may lie dense, and the caption of the decoded z says how far the nearest is."""
    if pick is None or j is None:
        return ""
    z, top = pick
    # the plane marks the pick with a red star (kind "star" in assets/plane/plane.js)
    where = t("judge.pick", z1=z[0], z2=z[1], n=judge.PRIOR_SAMPLES, top=top)
    if top < j.tau:
        return t("judge.pick_below", where=where, tau=j.tau)
    return t("judge.pick_above", where=where, tau=j.tau)


# the table's columns; label and help are the catalogue's judge.col.<name>(.help)
COLUMNS = ("prior_real", "prior_class_tv", "agreement", "knn_mu")

NOT_PERCENT = ("prior_class_tv",)  # the rest are fractions, shown as percentages


def judged_prior(dataset_name: str, ds, j: judge.Judge, models: dict[str, str]) -> None:
    """Points vs ellipses' "Sampling the prior, judged": the judge, every rung's figures, what
    they say about the AE against the VAE, the class mix, and example decodes. models: {shown
    name: model name} of the AE, then the VAE."""
    (ae_shown, ae_name), (vae_shown, vae_name) = models.items()
    code = lang.current()
    classes = (
        ""
        if ds.label_name in ("digit", "class")
        else t("judge.classes_here", label=i18n.class_words(ds.label_name, (), code)[0])
    )
    st.markdown(
        t(
            "judge.intro",
            m=judge.PRIOR_SAMPLES,
            classes=classes,
            accuracy=j.accuracy,
            tau=j.tau,
        )
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
        column_config={"model": st.column_config.TextColumn(t("judge.col.model"))}
        | {
            k: st.column_config.NumberColumn(
                t(f"judge.col.{k}"),
                format="%.2f" if k in NOT_PERCENT else "%.1f%%",
                help=t(f"judge.col.{k}.help"),
            )
            for k in COLUMNS
        },
    )
    ae, vae = (scores(dataset_name, n, j) for n in (ae_name, vae_name))
    text = summary(ae, vae, t("judge.the_vae", name=vae_shown), code)
    _, ae_labels, _ = prior_judged(dataset_name, ae_name, j)
    data_freq = judge.class_frequencies(ds.y_train, j.classes)
    ae_freq = judge.class_frequencies(ae_labels, j.classes)
    note = skew_note(ae_freq, data_freq, j.classes, t("judge.the_ae", name=ae_shown), ds, code)
    st.markdown(t("judge.true_here", text=text, note=note))
    _figures(dataset_name, ds, j, models, data_freq)


def summary(ae: dict, vae: dict, vae_name: str, lang: str = i18n.DEFAULT) -> str:
    """judge.summary in `lang`: the same comparisons (judge.CLOSE), worded by the catalogue (in
    English, word for word judge.summary's sentence)."""

    def compare(a: float, b: float) -> str:
        return "same" if abs(a - b) < judge.CLOSE else ("more" if a > b else "less")

    real = compare(ae["prior_real"], vae["prior_real"])
    tv = compare(ae["prior_class_tv"], vae["prior_class_tv"])
    text = i18n.t(
        f"judge.sum.real.{real}", lang, vae=vae_name, a=ae["prior_real"], b=vae["prior_real"]
    ) + i18n.t(
        f"judge.sum.tv.{tv}", lang, vae=vae_name, a=ae["prior_class_tv"], b=vae["prior_class_tv"]
    )
    skewed = tv == "more"
    if ae["prior_real"] >= 0.5:
        text += i18n.t("judge.sum.not_garbage_mix" if skewed else "judge.sum.not_garbage", lang)
    if skewed:
        text += i18n.t("judge.sum.skewed", lang)
    return text


def skew_note(freq, data_freq, classes, name: str, ds, lang: str = i18n.DEFAULT) -> str:
    """judge.skew_note in `lang`: the class a model's prior samples over-produce most."""
    i = int(np.argmax(freq - data_freq))
    label = label_text(ds, classes[i], lang)
    return i18n.t("judge.skew", lang, name=name, label=label, f=freq[i], d=data_freq[i])


def label_text(ds, c, lang: str = i18n.DEFAULT) -> str:
    """ds.label_text(c) in `lang`: "class 3 (Dress)", "类别 3（连衣裙）"; "digit 3", "数字 3"."""
    c = int(c)
    word, names = i18n.class_words(ds.label_name, ds.class_names, lang)
    if 0 <= c < len(names):
        return i18n.t("judge.label_named", lang, label=word, c=c, name=names[c])
    return i18n.t("judge.label", lang, label=word, c=c)


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
    code = lang.current()
    fig = fj.class_mix_figure(
        j.classes, data_freq, mixes, i18n.class_words(ds.label_name, (), code)[0], lang=code
    )
    left.plotly_chart(fig, key="pv_mix", config=CONFIG)
    right.plotly_chart(
        fj.examples_figure(rows, ds.image_shape, j.tau, lang=code),
        key="pv_examples",
        config=CONFIG,
    )
    right.caption(t("judge.examples_caption", n=EXAMPLES))


CONFIG = {"displaylogo": False}

"""Train your own (pages/7_Train_your_own.py): upload data, train live, replay, save, upload.

Training always builds a FRESH model (never a cached, shared one); uploads are validated by
vae_geom.uploads and checkpoints by vae_geom.checkpoints, never unpickled.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import streamlit as st

from vae_geom import checkpoints, ladder, training, user_models
from vae_geom.data import DATASETS, Dataset
from vae_geom.replay import REPLAY_COVERAGE_SAMPLES
from vae_geom.ui import plane
from vae_geom.ui.lang import said, t
from vae_geom.ui.literal import literal
from vae_geom.ui.loaders import dataset
from vae_geom.ui.owner import token
from vae_geom.zips import MAX_UPLOAD_MB

KEY_RESULT = "train.result"
KEY_SAVED, KEY_DL_UNSAVED = "train.saved", "train.dl_unsaved"  # the page pops KEY_SAVED on Train
KEY_CKPT_DONE = "train.ckpt_done"  # (file id, stored, what says so) of the last model zip uploaded


@st.cache_data(show_spinner=False, max_entries=4)  # the caller's spinner, in its language
def _parse_upload(
    name: str, data: bytes, labels: bytes | None, labels_name: str | None, rescale: bool
) -> Dataset:
    from vae_geom.uploads import load_upload

    return load_upload(name, data, labels, labels_name, rescale=rescale)


def uploaded_dataset() -> Dataset | None:
    """The user's own data, validated; a clear message (and None) for anything wrong."""
    from vae_geom.uploads import LIMITS, UploadError

    # type=None: Streamlit's own extension check raises (a traceback); ours names the problem
    up = st.file_uploader(t("train.upload.data"), key="train.upload")
    lab = st.file_uploader(t("train.upload.labels"), key="train.labels")
    rescale = st.checkbox(t("train.upload.rescale"), key="train.rescale")
    if up is None:
        st.info(
            t(
                "train.upload.ask",
                mb=MAX_UPLOAD_MB,
                lo=LIMITS.min_samples,
                hi=LIMITS.max_samples,
            )
        )
        return None
    try:
        with st.spinner(t("train.upload.reading")):
            ds = _parse_upload(
                up.name,
                up.getvalue(),
                lab.getvalue() if lab else None,
                lab.name if lab else None,
                rescale,
            )
    except UploadError as e:
        text = said(e)  # in the session's language
        message = text if text.startswith(up.name) else f"{up.name}: {text}"  # named once
        st.error(literal(message, None))  # it quotes the file's name: shown as plain text
        if getattr(e, "suggest_rescale", False):
            st.info(t("train.upload.rescale_hint"))
        return None
    st.success(t("train.upload.read", name=literal(up.name, 80), description=describe(ds)))
    return ds


def describe(ds: Dataset) -> str:
    """uploads.describe in the session's language: "1,000 samples of 28×28, 10 classes"."""
    y = np.concatenate([ds.y_train, ds.y_test])
    h, w = ds.image_shape
    k = len(np.unique(y))
    shape = t("train.upload.vectors", w=w) if h == 1 else f"{h}×{w}"
    classes = t("train.upload.class" if k == 1 else "train.upload.classes")
    return t("train.upload.describe", n=len(y), shape=shape, k=k, classes=classes)


def train_live(ds: Dataset, spec: ladder.Spec, epochs: int, seed: int, store: str) -> None:
    """Wait for a training slot (at most vae_geom.slots.TRAININGS.capacity run at once), showing
    the place in the queue, then train. The slot is given back however the run ends: done,
    stopped, or its tab closed (Streamlit raises StopException or RerunException into this
    script at its next redraw, here or in the queue)."""
    from vae_geom.slots import TRAININGS

    ticket = TRAININGS.join()
    try:
        _wait_in_queue(ticket)
        _train_fresh(ds, spec, epochs, seed, store)
    finally:
        ticket.release()


QUEUE_POLL_S = 0.5  # how often a waiting session redraws its place (and notices a Stop)


def _wait_in_queue(ticket) -> None:
    """Until `ticket` holds a slot, with its place in the queue shown and kept up to date."""
    notice = st.empty()
    timeout = 0.0  # the first time at once: a queued run says so without delay
    while not ticket.wait(timeout):
        running, place = ticket.slots.running, ticket.position()
        if place:  # 0: the slot came between the wait and now
            notice.info(
                t(
                    "train.queue.one" if running == 1 else "train.queue.many",
                    running=running,
                    place=place,
                    capacity=ticket.slots.capacity,
                )
            )
        timeout = QUEUE_POLL_S
    notice.empty()


def _train_fresh(ds: Dataset, spec: ladder.Spec, epochs: int, seed: int, store: str) -> None:
    """Train a FRESH model with a progress bar, ETA and live curves; keep everything in the
    session as it goes, so a Stop (which interrupts this run) still leaves the epochs done and
    all that their record needs."""
    from vae_geom import replay
    from vae_geom.models import ModelConfig, make_model

    config = spec.train_config(epochs, seed)
    idx = replay.subset(len(ds.x_test))
    model = make_model(ModelConfig(ds.dim, kind=spec.kind), seed)
    bar = st.progress(0.0, text=t("train.progress.start"))
    curves = st.empty()

    def report(row: dict) -> None:
        bar.progress(
            row["epoch"] / epochs,
            text=t(
                "train.progress.epoch",
                epoch=row["epoch"],
                epochs=epochs,
                elapsed=row["elapsed_s"],
                eta=row["eta_s"],
            ),
        )
        curves.line_chart(_curve_table(rec.rows[1:]), height=220)

    rec = replay.Recorder(ds.x_test[idx], epochs, report=report)
    rec.record_start(model)
    result = {
        "model": model,
        "recorder": rec,
        "spec": spec,
        "config": config,
        "epochs_done": [],  # fit's stats per epoch: the record's, should a Stop interrupt fit
        "dataset": ds,
        "labels": ds.y_test[idx],
        "store": store,
        "meta": None,
    }
    st.session_state[KEY_RESULT] = result

    def on_epoch(stats: dict, model) -> bool:
        result["epochs_done"].append(stats)
        return rec(stats, model)  # a Stop click raises in here, through the progress bar

    _, result["meta"] = training.train_one(
        ds, spec.kind, config, spec.name, on_epoch=on_epoch, model=model
    )
    seconds = rec.rows[-1]["elapsed_s"]
    bar.progress(1.0, text=t("train.progress.done", epochs=epochs, seconds=seconds))


def _curve_table(rows: list[dict]) -> dict:
    """Per-epoch recon, regulariser and -ELBO-like loss, for st.line_chart (named in the
    session's language: the names are the chart's legend)."""
    return {
        t("train.curve.recon"): [r["recon"] for r in rows],
        t("train.curve.reg"): [r["reg"] for r in rows],
        t("train.curve.loss"): [r["loss"] for r in rows],
    }


def replay_view(result: dict) -> None:
    """The plane with a slider over epochs: the ellipses from their starting tangle to the final
    layout, animated in the browser (the epochs' posteriors are sent once, with the model)."""
    rec = result["recorder"]
    last = len(rec.mu) - 1
    if result["meta"] is None:
        st.warning(t("train.replay.stopped", epoch=last))
    st.subheader(t("train.replay.title"))
    left, right = st.columns([3, 2])
    with left:
        ds = result["dataset"]
        plane.mount(
            "train.plane",
            _replay_payload(result),
            z_key="train.z",
            legend=(result["labels"], ds.label_name, ds.class_names),
        )
        st.caption(t("train.replay.caption", n=len(result["labels"])))
    coverage = {t("train.replay.coverage"): [r["coverage_1"] for r in rec.rows]}
    right.line_chart(coverage, height=220)
    right.caption(t("train.replay.coverage_caption", m=REPLAY_COVERAGE_SAMPLES))
    right.line_chart(_curve_table(rec.rows[1:]), height=220)
    simple = result["spec"].regulariser == "simple"  # not a log-density: not in nats
    right.caption(t("train.replay.loss_caption_simple" if simple else "train.replay.loss_caption"))


def _replay_payload(result: dict) -> bytes:
    """The replay's plane, built once per training run and kept with its result."""
    if "plane" not in result:
        from vae_geom.models import posteriors

        rec, ds, model = result["recorder"], result["dataset"], result["model"]
        mu_t, sigma_t = posteriors(model, ds.x_train)
        epochs = np.array([row["epoch"] for row in rec.rows])
        result["plane"] = plane.build_payload(
            "train.plane",
            model,
            (mu_t, sigma_t, ds.x_train),
            (rec.mu[-1], rec.sigma[-1], result["labels"]),
            order=f"replay/{id(rec)}",
            image_shape=ds.image_shape,
            label_name=ds.label_name,
            class_names=ds.class_names,
            filename=f"{ds.name}-{result['spec'].name}-replay",
            frames=(epochs, np.stack(rec.mu), np.stack(rec.sigma)),
        )
    return result["plane"]


def save_panel(result: dict) -> None:
    """Save the trained model: the student's own (their link finds it again) unless they share it
    with the class; and download it, built from this session's model, never read back by name."""
    spec = result["spec"]
    default = f"{spec.name}-s{result['config'].seed}-e{len(result['epochs_done'])}"
    name = st.text_input(t("train.save.name"), default, key="train.name", max_chars=48)
    shareable = result["store"] in DATASETS  # a model of someone's upload stays theirs
    share = st.checkbox(
        t("train.save.share"),
        key="train.share",
        disabled=not shareable,
        help=t("train.save.share_help" if shareable else "train.save.private_help"),
    )
    if st.button(t("train.save.button"), key="train.save"):
        st.session_state.pop(KEY_SAVED, None)  # a refused save leaves no stale "Saved as"
        meta = result["meta"] or _record_after_stop(result)
        shared = share and shareable
        try:
            user_models.save(result["model"], result["store"], name, meta, token(), shared)
            st.session_state[KEY_SAVED] = {"name": name, "shared": shared}
        except checkpoints.CheckpointError as e:
            st.error(literal(said(e), None))
            if user_models.NAME_RE.fullmatch(name):  # else the name is what to fix
                _download(result, name, t("train.save.download_instead"), KEY_DL_UNSAVED)
    if saved := st.session_state.get(KEY_SAVED):
        st.success(_saved_message(literal(saved["name"], None), saved["shared"], shareable))
        _download(result, saved["name"], t("train.save.download"), "train.dl")


def _saved_message(name: str, shared: bool, built_in: bool) -> str:
    if shared:
        return t("train.saved.shared", label=t("sidebar.shared", name=name))
    if not built_in:
        return t("train.saved.upload", label=t("sidebar.yours", name=name))
    return t("train.saved.yours", label=t("sidebar.yours", name=name))


def _download(result: dict, name: str, label: str, key: str) -> None:
    """A download of the session's own model (zipped once per name, kept with the result)."""
    if (cached := result.get("zip")) is None or cached[0] != name:
        try:
            meta = result["meta"] or _record_after_stop(result)
            data = user_models.model_zip(result["model"], result["store"], name, meta)
        except checkpoints.CheckpointError as e:
            st.error(literal(said(e), None))
            return
        result["zip"] = cached = (name, data)
    st.download_button(label, cached[1], file_name=f"{name}.zip", mime="application/zip", key=key)


def _record_after_stop(result: dict) -> dict:
    """The record train_one would have returned, built by the same function from what the session
    kept when a Stop interrupted training."""
    rows = result["recorder"].rows
    seconds = rows[-1].get("elapsed_s", 0.0)  # row 0 (before training) has no time
    return training.model_record(
        result["model"],
        result["dataset"],
        result["spec"].name,
        result["config"],
        result["epochs_done"],
        seconds,
    )


def checkpoint_upload(dataset_name: str) -> None:
    """Upload a model zip (as downloaded above); validated, never unpickled, stored once per
    upload as the student's own unless shared."""
    share = st.checkbox(t("train.ckpt.share"), key="train.ckpt_share")
    up = st.file_uploader(t("train.ckpt.upload"), type=["zip"], key="train.ckpt")
    if up is None:
        return
    done = st.session_state.get(KEY_CKPT_DONE)
    if done is None or done[0] != up.file_id:  # a rerun must not store the same file again
        done = (up.file_id, *_store_upload(up, dataset_name, share))
        st.session_state[KEY_CKPT_DONE] = done
    (st.success if done[1] else st.error)(done[2]())  # said in the language of this run


def _store_upload(up, dataset_name: str, share: bool) -> tuple[bool, Callable[[], str]]:
    """(stored, the message saying so or why not): the message is said when shown, so a
    language switch after the upload says it in the new language."""
    name = user_models.name_from_file(up.name)
    try:
        user_models.from_zip(
            up.getvalue(), dataset_name, name, dataset(dataset_name).dim, token(), share
        )
    except checkpoints.CheckpointError as e:
        return False, functools.partial(_refusal, e, up.name)
    return True, functools.partial(_stored, literal(name, None), dataset_name, share)


def _refusal(e: checkpoints.CheckpointError, file_name: str) -> str:
    text = said(e)  # in the session's language
    message = text if text.startswith(file_name) else f"{file_name}: {text}"  # named once
    return literal(message, None)


def _stored(name: str, dataset_name: str, share: bool) -> str:
    if share:
        return t("train.ckpt.shared", label=t("sidebar.shared", name=name), dataset=dataset_name)
    return t("train.ckpt.yours", label=t("sidebar.yours", name=name), dataset=dataset_name)

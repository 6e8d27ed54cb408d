"""Train your own (pages/7_Train_your_own.py): upload data, train live, replay, save, upload.

Training always builds a FRESH model (never a cached, shared one); uploads are validated by
vae_geom.uploads and checkpoints by vae_geom.checkpoints, never unpickled.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from vae_geom import checkpoints, ladder, training, user_models
from vae_geom.data import DATASETS, Dataset
from vae_geom.ui import plane
from vae_geom.ui.literal import literal
from vae_geom.ui.loaders import dataset
from vae_geom.ui.owner import token
from vae_geom.zips import MAX_UPLOAD_MB

KEY_RESULT = "train.result"
KEY_SAVED, KEY_DL_UNSAVED = "train.saved", "train.dl_unsaved"  # the page pops KEY_SAVED on Train
KEY_CKPT_DONE = "train.ckpt_done"  # (file id, stored, message) of the last model zip uploaded


@st.cache_data(show_spinner="Reading your file…", max_entries=4)
def _parse_upload(
    name: str, data: bytes, labels: bytes | None, labels_name: str | None, rescale: bool
) -> Dataset:
    from vae_geom.uploads import load_upload

    return load_upload(name, data, labels, labels_name, rescale=rescale)


def uploaded_dataset() -> Dataset | None:
    """The user's own data, validated; a clear message (and None) for anything wrong."""
    from vae_geom.uploads import LIMITS, UploadError, describe

    # type=None: Streamlit's own extension check raises (a traceback); ours names the problem
    up = st.file_uploader(
        "Your data: .npz (images or vectors), .csv (one sample per row) or a "
        ".zip of PNG images (sub-folders = labels)",
        key="train.upload",
    )
    lab = st.file_uploader("Labels (optional): .csv, one integer per sample", key="train.labels")
    rescale = st.checkbox("Min-max rescale my values to [0, 1]", key="train.rescale")
    if up is None:
        st.info(
            f"Upload a file to train on your own data (at most {MAX_UPLOAD_MB} MB, "
            f"{LIMITS.min_samples}–{LIMITS.max_samples:,} samples)."
        )
        return None
    try:
        ds = _parse_upload(
            up.name,
            up.getvalue(),
            lab.getvalue() if lab else None,
            lab.name if lab else None,
            rescale,
        )
    except UploadError as e:
        message = str(e) if str(e).startswith(up.name) else f"{up.name}: {e}"  # named once
        st.error(literal(message, None))  # it quotes the file's name: shown as plain text
        if getattr(e, "suggest_rescale", False):
            st.info("Tick **Min-max rescale** above to map your values onto [0, 1].")
        return None
    st.success(f"{literal(up.name, 80)}: {describe(ds)}")
    return ds


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
                f"{running} {'training is' if running == 1 else 'trainings are'} running; you "
                f"are number {place} in the queue. Yours starts by itself when one ends (this "
                f"server runs at most {ticket.slots.capacity} at once)."
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
    bar = st.progress(0.0, text="Starting…")
    curves = st.empty()

    def report(row: dict) -> None:
        bar.progress(
            row["epoch"] / epochs,
            text=f"epoch {row['epoch']}/{epochs} · "
            f"{row['elapsed_s']:.0f} s so far · about {row['eta_s']:.0f} s left",
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
    bar.progress(1.0, text=f"Done: {epochs} epochs in {rec.rows[-1]['elapsed_s']:.1f} s")


def _curve_table(rows: list[dict]) -> dict:
    """Per-epoch recon, regulariser and -ELBO-like loss, for st.line_chart."""
    return {
        "recon (nats)": [r["recon"] for r in rows],
        "regulariser": [r["reg"] for r in rows],
        "loss": [r["loss"] for r in rows],
    }


def replay_view(result: dict) -> None:
    """The plane with a slider over epochs: the ellipses from their starting tangle to the final
    layout, animated in the browser (the epochs' posteriors are sent once, with the model)."""
    rec = result["recorder"]
    last = len(rec.mu) - 1
    if result["meta"] is None:
        st.warning(f"Training was stopped after epoch {last}: what it learnt so far is kept.")
    st.subheader("Replay: watch the ellipses find their places")
    left, right = st.columns([3, 2])
    with left:
        ds = result["dataset"]
        plane.mount(
            "train.plane",
            _replay_payload(result),
            z_key="train.z",
            legend=(result["labels"], ds.label_name, ds.class_names),
        )
        st.caption(
            f"{len(result['labels']):,} test samples' 1σ ellipses after each epoch: drag the "
            "slider under the plane or press play (epoch 0 is the untrained model). Points "
            "decode with the last epoch's decoder."
        )
    right.line_chart({"coverage₁": [r["coverage_1"] for r in rec.rows]}, height=220)
    right.caption(
        "coverage₁ per epoch (Monte Carlo, M = 4,000): how much of the prior the "
        "ellipses cover as training goes."
    )
    right.line_chart(_curve_table(rec.rows[1:]), height=220)
    right.caption("Training loss terms per epoch (nats per image).")


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
    name = st.text_input("Model name", default, key="train.name", max_chars=48)
    shareable = result["store"] in DATASETS  # a model of someone's upload stays theirs
    share = st.checkbox(
        "Share with the class",
        key="train.share",
        disabled=not shareable,
        help="Shared models are in everyone's model picker; a name in use is never overwritten."
        if shareable
        else "A model trained on your own data is never shared.",
    )
    if st.button("Save to my models", key="train.save"):
        st.session_state.pop(KEY_SAVED, None)  # a refused save leaves no stale "Saved as"
        meta = result["meta"] or _record_after_stop(result)
        shared = share and shareable
        try:
            user_models.save(result["model"], result["store"], name, meta, token(), shared)
            st.session_state[KEY_SAVED] = {"name": name, "shared": shared}
        except checkpoints.CheckpointError as e:
            st.error(literal(e, None))
            if user_models.NAME_RE.fullmatch(name):  # else the name is what to fix
                _download(
                    result, name, "Download it instead (.zip: safetensors + JSON)", KEY_DL_UNSAVED
                )
    if saved := st.session_state.get(KEY_SAVED):
        st.success(_saved_message(literal(saved["name"], None), saved["shared"], shareable))
        _download(result, saved["name"], "Download it (.zip: safetensors + JSON)", "train.dl")


def _saved_message(name: str, shared: bool, built_in: bool) -> str:
    if shared:
        return f"Saved as “Shared: {name}”: everyone in the class can pick it in the sidebar."
    if not built_in:
        return f"Saved as “Yours: {name}” (trained on your upload: kept for you, shown here only)."
    return (
        f"Saved as “Yours: {name}”: pick it in the sidebar on every page. Only your link shows "
        "it: bookmark this page's address to find it again next lesson."
    )


def _download(result: dict, name: str, label: str, key: str) -> None:
    """A download of the session's own model (zipped once per name, kept with the result)."""
    if (cached := result.get("zip")) is None or cached[0] != name:
        try:
            meta = result["meta"] or _record_after_stop(result)
            data = user_models.model_zip(result["model"], result["store"], name, meta)
        except checkpoints.CheckpointError as e:
            st.error(literal(e, None))
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
    share = st.checkbox("Share it with the class", key="train.ckpt_share")
    up = st.file_uploader(
        "Upload a model (.zip with NAME.json + NAME.safetensors)", type=["zip"], key="train.ckpt"
    )
    if up is None:
        return
    done = st.session_state.get(KEY_CKPT_DONE)
    if done is None or done[0] != up.file_id:  # a rerun must not store the same file again
        done = (up.file_id, *_store_upload(up, dataset_name, share))
        st.session_state[KEY_CKPT_DONE] = done
    (st.success if done[1] else st.error)(done[2])


def _store_upload(up, dataset_name: str, share: bool) -> tuple[bool, str]:
    name = user_models.name_from_file(up.name)
    try:
        user_models.from_zip(
            up.getvalue(), dataset_name, name, dataset(dataset_name).dim, token(), share
        )
    except checkpoints.CheckpointError as e:
        message = str(e) if str(e).startswith(up.name) else f"{up.name}: {e}"  # named once
        return False, literal(message, None)
    name = literal(name, None)  # from the file's name: shown as plain text
    if share:
        return True, f"“Shared: {name}” is now in everyone's model picker for {dataset_name}."
    return True, (
        f"“Yours: {name}” is now in the sidebar's model picker for {dataset_name} "
        "(only your link shows it)."
    )

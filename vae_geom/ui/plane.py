"""The latent plane in the browser (assets/plane/plane.js, issue 14): one component for every page.

The browser is sent, once per model and samples, everything it needs to answer a hover by itself
(vae_geom.payload.plane_payload: the decoder's weights, the training posteriors and images, the
drawn posteriors), and decodes z under the pointer at display rate: no message reaches the server
until a click pins z. The pin arrives as the same bounded "click" trigger the plotly listener sent
(decoded.click_callback), so z lands in st.session_state[z_key], the URL and the server's panels.

Python owns a little state beside the bytes (the pinned z, 1σ or 2σ), sent as a second, tiny
mount of the same component so that changing it never re-sends the payload. Once a session has
been sent a payload, its later runs send the payload's stub instead (its header alone, a few
hundred bytes: `_to_send`): a rerun the browser asks for was answered from Streamlit's message
cache anyway, but a rerun the server pushes (a class's follower, ui/push.py) cannot know what the
browser holds, and sent every follower the whole 1.3 MB at every step. A page that no longer holds
a stub's payload (it reloaded its script, or dropped it for newer ones) asks for it with the
trigger "need", and the next run sends it whole. If the component never starts, the fallback
under it (two number inputs) stays visible.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import streamlit as st

from vae_geom import i18n, payload, probe
from vae_geom.data import TRAIN
from vae_geom.figures.plane import COLOURS, OUTLINE_MAX, PLANE
from vae_geom.models import VAE
from vae_geom.ui import big_hashes, lang, loaders
from vae_geom.ui.decoded import click_callback, restore_url_z

big_hashes.install()  # the payload's two hashes a run, remembered (ui/big_hashes.py)

_ASSETS = Path(__file__).resolve().parents[2] / "assets" / "plane"
# decode.js is an ES module with exports (the parity test imports it); the component is one
# inline module, so its functions are pasted in front of plane.js with the `export`s removed.
_JS = (_ASSETS / "decode.js").read_text().replace("export function", "function").replace(
    "export async function", "async function"
) + (_ASSETS / "plane.js").read_text()
_component = st.components.v2.component("vae_geom.plane", js=_JS)
_state = st.components.v2.component("vae_geom.plane_state", js=(_ASSETS / "state.js").read_text())

HELD_MAX = 4  # = PARSED_MAX in plane.js: the payloads a page's plane keeps parsed
TEXT_KEYS = tuple(  # the browser plane's own words: vae_geom/locales/<lang>/plane.json
    k.removeprefix("plane.")
    for k in i18n.catalogue(i18n.DEFAULT)
    if k.startswith("plane.") and not k.startswith(("plane.fallback.", "plane.refused"))
)


def texts(legend: tuple[np.ndarray, str, tuple[str, ...]] | None = None) -> dict:
    """The plane's words in the session's language, sent with its state (not its payload, so a
    switch of language never re-sends the model): the panel's texts, and the legend's names
    (legend = (labels, label_name, class_names) of the drawn samples)."""
    code = lang.current()
    out = {k: i18n.catalogue(code)[f"plane.{k}"] for k in TEXT_KEYS}  # filled in the browser
    if legend is not None:
        labels, label_name, class_names = legend
        name, class_names = i18n.class_words(label_name, class_names, code)
        out["classes"] = [c["name"] for c in classes(labels, name, class_names)]
        out["legend_title"] = name if class_names else ""
    return out


def classes(labels: np.ndarray, label_name: str, class_names: tuple[str, ...]) -> list[dict]:
    """The legend: one entry per label present: "digit 3", or "3 · Dress" where classes have
    names (the legend's title then says "class"), short enough for the legend's column."""
    out = []
    for c in np.unique(labels):
        name = f"{c} · {class_names[c]}" if 0 <= c < len(class_names) else f"{label_name} {c}"
        out.append({"label": int(c), "name": name, "colour": COLOURS[int(c) % len(COLOURS)]})
    return out


def build_payload(
    key: str,
    model: VAE,
    train: tuple[np.ndarray, np.ndarray, np.ndarray],
    shown: tuple[np.ndarray, np.ndarray, np.ndarray],
    *,
    order: str,
    image_shape: tuple[int, int],
    label_name: str = "label",
    class_names: tuple[str, ...] = (),
    filename: str = "latent-plane",
    limit: float = PLANE,
    frames: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> bytes:
    """The bytes the plane named `key` is sent. `order` names the drawn samples (dataset and
    split): a new model over the same order morphs from the last one instead of redrawing."""
    meta = {
        "plane": key,
        "order": order,
        "is_ae": bool(model.is_ae),
        "image_shape": list(image_shape),
        "range": float(limit),
        "outline_max": OUTLINE_MAX,
        "classes": classes(np.asarray(shown[2]), label_name, class_names),
        "legend": label_name if class_names else "",
        "filename": filename,
    }
    return payload.plane_payload(model, train, shown, meta, frames=frames)


@st.cache_resource(show_spinner=False, max_entries=64)
def _cached_payload(
    key: str,
    dataset_name: str,
    model_name: str,
    stem: str,
    split: str,
    version: tuple,
    limit: float,
    _m: VAE,
) -> bytes:
    # keyed like loaders._encode: by the checkpoint's path and file version. A resource, not
    # cache_data: bytes cannot change, so every session shares one copy, where cache_data
    # unpickled a fresh copy of the 1.3 MB for every run that drew the plane.
    ds = loaders.dataset(dataset_name)
    mu_t, sigma_t = loaders.sample_posteriors(dataset_name, model_name, TRAIN)
    mu, sigma = loaders.sample_posteriors(dataset_name, model_name, split)
    _, y = loaders.samples(dataset_name, split)
    return build_payload(
        key,
        _m,
        (mu_t, sigma_t, ds.x_train),
        (mu, sigma, y),
        order=f"{dataset_name}/{split}",
        image_shape=ds.image_shape,
        label_name=ds.label_name,
        class_names=ds.class_names,
        filename=f"{dataset_name}-{Path(stem).name}-{split}",
        limit=limit,
    )


def latent_plane(
    key: str,
    dataset_name: str,
    model_name: str,
    split: str = "test",
    *,
    z_key: str,
    fragment: str | None = None,
    k: float = 1.0,
    limit: float = PLANE,
    marks: list[dict] | None = None,
    link: str | None = None,
    report: bool = True,
    big: bool = False,
    typed_z: bool = True,
) -> dict | None:
    """The plane of `model_name`'s posteriors over `split`, decoding under the pointer; returns
    the payload's meta (e.g. meta["images"]: were the training images sent?), None if refused.

    A click (or Enter) pins z: st.session_state[z_key] = (z1, z2), then `fragment` reruns (or the
    whole page, if None). The pinned z also shows as a marker when it comes from elsewhere (a link,
    the fallback's number inputs). `limit`: the axes span ±limit latent units. `marks`: what the
    page draws over the plane (see drawMarks in plane.js). `link`: planes with the same link
    share the pointer, decoding one z with each plane's model. `report=False`: a click pins z in
    the browser only (a page with nothing to do with it on the server). `big`: presentation mode,
    the plane's texts, legend and panel 1.4 times larger. `typed_z=False`: nothing on the page
    decodes a pinned z (the Lesson's choice steps), so the fallback has no inputs for one: it
    says why the plane is missing and where a typed z is decoded."""
    m, stem, version = loaders.model_and_version(dataset_name, model_name)
    args = (key, dataset_name, model_name, stem, split, version, float(limit))
    try:
        with loaders.spinner_once(("plane", *args), lang.t("loaders.plane")):
            blob = _cached_payload(*args, m)
    except payload.PayloadError as e:  # too large for the browser: the server decodes typed z
        st.warning(lang.t("plane.refused", why=e))
        _fallback(key, z_key, expanded=True)
        return None
    ds, (_, labels) = loaders.dataset(dataset_name), loaders.samples(dataset_name, split)
    legend = (labels, ds.label_name, ds.class_names)
    mount(
        key,
        blob,
        z_key=z_key,
        fragment=fragment,
        k=k,
        marks=marks,
        link=link,
        report=report,
        legend=legend,
        big=big,
        typed_z=typed_z,
    )
    return payload.header(blob)["meta"]


def mount(
    key: str,
    blob: bytes,
    *,
    z_key: str,
    fragment: str | None = None,
    k: float = 1.0,
    marks: list[dict] | None = None,
    link: str | None = None,
    report: bool = True,
    legend: tuple[np.ndarray, str, tuple[str, ...]] | None = None,
    big: bool = False,
    typed_z: bool = True,
) -> None:
    """Mount plane `key` with its payload `blob` (build_payload's, made with the same key), its
    state, and the fallback under it. See latent_plane for the arguments."""
    restore_url_z(z_key)
    z = st.session_state.get(z_key)
    _component(
        key=key,
        data=_to_send(key, blob),
        on_click_change=click_callback(key, z_key, fragment),
        on_need_change=functools.partial(_needed, key),
        height="content",
    )
    _state(
        key=f"{key}.state",
        data={
            "plane": key,
            "z": list(z) if z else None,
            "k": 2 if k == 2 else 1,
            "marks": marks or [],
            "link": link,
            "report": report,
            "big": big,
            "texts": texts(legend),
        },
    )
    _fallback(key, z_key, typed_z=typed_z)


def _to_send(key: str, blob: bytes) -> bytes:
    """The payload, or its stub if this session was sent it in an earlier run (the last HELD_MAX
    payloads of plane `key`: the page keeps as many parsed)."""
    held = st.session_state.setdefault(f"{key}.held", [])
    pid = payload.header(blob)["meta"]["id"]
    if pid in held:
        return payload.stub(blob)
    held.append(pid)
    del held[:-HELD_MAX]
    return blob


def _needed(key: str) -> None:
    """The page was sent a stub of a payload it does not hold: the next run sends them whole.
    (The trigger's value is not read: a forged one can only cost this session that resend.)"""
    st.session_state.pop(f"{key}.held", None)


def _fallback(key: str, z_key: str, expanded: bool = False, typed_z: bool = True) -> None:
    """Two number inputs that pin z on the server: hidden by the plane's script once it draws.
    Without `typed_z`, a note only (two elements instead of ten, three of them widgets: each of
    a class's catch-up runs of the Lesson drew them all)."""
    if not typed_z:
        st.container(key=f"{key}-fallback").caption(lang.t("plane.fallback.no_js"))
        return
    # an expander, not a warning: it is on screen for the second before the plane's script hides it
    with (
        st.container(key=f"{key}-fallback"),
        st.expander(lang.t("plane.fallback.title"), expanded=expanded),
    ):
        st.caption(lang.t("plane.fallback.caption"))
        state, z = st.session_state, st.session_state.get(z_key)
        if z is not None and state.get(f"{key}.synced") != z:  # a pin elsewhere: follow it
            state[f"{key}.z1"], state[f"{key}.z2"] = (float(v) for v in z)
            state[f"{key}.synced"] = z
        left, right, go = st.columns([2, 2, 1], vertical_alignment="bottom")
        for col, d in ((left, 1), (right, 2)):
            state.setdefault(f"{key}.z{d}", 0.0)
            # value=None: a value sent out of bounds empties the box, and the pinned z stays
            col.number_input(
                f"z{'₁₂'[d - 1]}", -probe.Z_LIMIT, probe.Z_LIMIT, None, 0.1, key=f"{key}.z{d}"
            )
        go.button(
            lang.t("plane.fallback.go"), key=f"{key}.go", on_click=_typed_z, args=(key, z_key)
        )


def _typed_z(key: str, z_key: str) -> None:
    """The fallback's button: its two numbers become the pinned z (bounded by the inputs; an
    emptied box keeps that coordinate of the pinned z)."""
    state = st.session_state
    pinned = state.get(z_key) or (0.0, 0.0)
    typed = (state.get(f"{key}.z1"), state.get(f"{key}.z2"))
    state[z_key] = probe.check_z(
        [p if t is None else t for t, p in zip(typed, pinned, strict=True)]
    )

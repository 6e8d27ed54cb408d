"""What a pinned z on the latent plane does on the server: the click's callback and the views.

The plane (ui/plane.py, assets/plane/plane.js) sends a pin as the trigger "click" {x, y}:
`click_callback` reads it (bounded by ui/inbound.py) into session state; the views decode z on the
server and say which posteriors cover it.
"""

from __future__ import annotations

import reprlib

import numpy as np
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from vae_geom import geometry, i18n, probe, tiles
from vae_geom.data import Dataset
from vae_geom.geometry import GeometryError
from vae_geom.models import VAE
from vae_geom.ui import inbound, lang
from vae_geom.ui.lang import t
from vae_geom.ui.literal import literal
from vae_geom.ui.sidebar import KEY_URL_Z


def ellipses_containing(n: int, lang: str = i18n.DEFAULT) -> str:
    """How many training posteriors' 2-sigma ellipses hold z, in words ("1 training sample's 2σ
    ellipse"), in `lang`."""
    if n == 1:
        return i18n.t("decoded.ellipses.one", lang)
    return i18n.t("decoded.ellipses.many", lang, n=n)


def pinned_readout(z_key: str) -> tuple[float, float] | None:
    """The pinned z in words and in the URL (?z=), with p(z) and ‖z‖: no decoding, so a pin that
    shows only this costs the server next to nothing. A refused click's message first; a hint and
    None if nothing is pinned."""
    if err := st.session_state.pop(f"{z_key}.error", None):
        st.warning(err)
    z = st.session_state.get(z_key)
    if z is None:
        st.info(t("decoded.click_hint"), icon=":material/touch_app:")
        return None
    st.query_params["z"] = f"{z[0]:.3f},{z[1]:.3f}"
    density = float(np.exp(geometry.log_prior_density(np.asarray(z, dtype=float))))
    st.markdown(t("decoded.readout", z1=z[0], z2=z[1], p=density, norm=np.hypot(*z)))
    return z


def decoded_view(
    model: VAE,
    ds: Dataset,
    mu: np.ndarray,
    sigma: np.ndarray,
    z_key: str,
    top: int = 5,
) -> None:
    """What the plane says at the clicked z: decoder(z), p(z), and the posteriors that cover z.

    mu, sigma, each of shape (n, 2), are the posteriors of the TRAINING split (ds.x_train), the
    samples the decoder was trained on, whatever split the plane draws: a hole is where none of
    them reaches, and the blend is what the decoder was taught to answer at z.
    """
    z = pinned_readout(z_key)
    if z is None:
        return
    images = ds.x_train  # the samples whose posteriors mu, sigma are
    p = probe.probe(model, images, mu, sigma, z, ds.image_shape, top=top)
    left, right = st.columns(2)
    left.image(tiles.upscale(p.image), caption=t("decoded.decoder"), output_format="PNG", width=160)
    if p.blend is not None:
        right.image(
            tiles.upscale(p.blend),
            output_format="PNG",
            width=160,
            caption=t("decoded.blend"),
        )
    captions = [t("decoded.claim", i=i, r=w) for i, w in zip(p.top, p.weights, strict=True)]
    judged = t("decoded.judged", n=len(mu))
    if model.is_ae:
        idx, dist = probe.nearest_codes(z, mu, 3)
        st.markdown(t("decoded.ae"))
        _thumbnails(
            ds,
            images,
            idx,
            [t("decoded.near", i=i, d=d) for i, d in zip(idx, dist, strict=True)],
        )
    elif p.inside:
        where = ellipses_containing(p.inside, lang.current())
        st.markdown(t("decoded.inside", where=where, judged=judged))
        _thumbnails(ds, images, p.top, captions)
    else:
        # "seldom", not "never": a training draw of z lands outside its own 2-sigma ellipse
        # e^-2 = 14% of the time (2D), so the rims beyond the ellipses were sampled now and then
        st.markdown(t("decoded.hole", judged=judged))
        _thumbnails(ds, images, p.top, captions)


def _thumbnails(ds: Dataset, images: np.ndarray, idx, captions: list[str]) -> None:
    st.image(
        [tiles.upscale(images[i].reshape(ds.image_shape), 84) for i in idx],
        caption=captions,
        output_format="PNG",
    )


CLICK_ECHO_MAX = 40  # characters of a bad click's value quoted back, as the sidebar does for links
inbound.install()  # before any click's callback runs: no message carries more than a few clicks


def restore_url_z(z_key: str) -> None:
    """A link's z (?z=…, read and checked by the sidebar) becomes this plane's z, once."""
    if z_key not in st.session_state and KEY_URL_Z in st.session_state:
        st.session_state[z_key] = st.session_state[KEY_URL_Z]


def click_callback(key: str, z_key: str, fragment: str | None = None):
    """The callback of a component (mounted with `key`) whose trigger "click" carries {x, y}: it
    stores z in st.session_state[z_key] (or a short message in f"{z_key}.error") and reruns
    `fragment`, or the whole page if None."""
    last_run: list = [None]  # the run whose click this listener has read (see _new_run)

    def on_click() -> None:
        # Streamlit calls this once per "click" event in the trigger value (inbound.py bounds how
        # many one message holds), and each read of st.session_state[key] walks all of them. So
        # only the run's first call reads the click (the latest one); the others only ask for the
        # same rerun: O(1) each, where they once cost O(events) each (issue 12).
        if not _new_run(last_run):
            if fragment:
                st.rerun(fragment)  # as the first call did: a plain return reruns the whole app
            return
        state = st.session_state.get(key)
        event = state.get("click") if isinstance(state, dict) else None
        if event is not None:  # none: a trigger without the component's state, nothing to read
            try:
                st.session_state[z_key] = _click_z(event)
            except GeometryError as e:
                why = lang.said(e)  # in the session's language
                st.session_state[f"{z_key}.error"] = t("decoded.click_error", why=why)
        if fragment:
            st.rerun(fragment)

    return on_click


def _click_z(event: object) -> tuple[float, float]:
    """The z of one click event {"x": z1, "y": z2, ...}; a GeometryError quotes at most a short,
    Markdown-escaped excerpt of anything else (the message is shown with st.warning)."""
    xy = (event.get("x"), event.get("y")) if isinstance(event, dict) else None
    if xy is None or not all(type(v) in (int, float) for v in xy):  # bool and big nests too
        raise probe.ZError(i18n.Text("probe.z.numbers", value=_excerpt(event)))
    return probe.check_z(xy)


def _excerpt(value: object, limit: int = CLICK_ECHO_MAX) -> str:
    """At most `limit` characters of value's repr, as Markdown that shows them as they are."""
    short = reprlib.Repr()  # never builds the repr of a whole big value, only its head
    short.maxstring = short.maxother = limit
    short.maxlist = short.maxdict = 4
    return literal(short.repr(value), limit)


def _new_run(last_run: list) -> bool:
    """True if this script run is not `last_run[0]` (and remember it), False if it is.

    A widget's callbacks all run at the start of one script run, before its body; Streamlit makes
    a new `cursors` dict for every run (ScriptRunContext.reset), so holding the one seen last (a
    reference, never its id: an id can be reused) tells a new run from the same one.
    """
    ctx = get_script_run_ctx()
    run = ctx.cursors if ctx is not None else None
    if run is not None and run is last_run[0]:
        return False
    last_run[0] = run
    return True


def decoded_pair(
    ae: VAE,
    vae: VAE,
    ds: Dataset,
    codes_ae: tuple[np.ndarray, np.ndarray],
    codes_vae: tuple[np.ndarray, np.ndarray],
    z_key: str,
) -> None:
    """The same z decoded by the AE and by the VAE (each a `probe`, given its (mu, sigma) of the
    TRAINING split, ds.x_train: where each decoder learned), with what surrounds z in each code
    space."""
    if err := st.session_state.pop(f"{z_key}.error", None):
        st.warning(err)
    z = st.session_state.get(z_key)
    if z is None:
        st.info(t("decoded.pair_hint"))
        return
    st.query_params["z"] = f"{z[0]:.3f},{z[1]:.3f}"
    p_ae, p_vae = (
        probe.probe(model, ds.x_train, *codes, z, ds.image_shape)
        for model, codes in ((ae, codes_ae), (vae, codes_vae))
    )
    _, d_ae = probe.nearest_codes(z, codes_ae[0], 1)
    st.markdown(t("decoded.pair_z", z1=z[0], z2=z[1]))
    cols = st.columns(2)
    cols[0].image(
        tiles.upscale(p_ae.image),
        width=160,
        output_format="PNG",
        caption=t("decoded.pair_ae", d=d_ae[0]),
    )
    inside = p_vae.inside
    where = (
        t("decoded.pair_inside", where=ellipses_containing(inside, lang.current()))
        if inside
        else t("decoded.pair_hole")
    )
    cols[1].image(
        tiles.upscale(p_vae.image),
        width=160,
        output_format="PNG",
        caption=t("decoded.pair_vae", where=where),
    )

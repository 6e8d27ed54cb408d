"""Generate and interpolate: decode prior samples, a grid over the plane, and a straight path."""

from __future__ import annotations

import math

import streamlit as st

from vae_geom import generate, probe, ui
from vae_geom.data import TRAIN
from vae_geom.figures import generate as fg
from vae_geom.ui import lang
from vae_geom.ui.lang import t

st.set_page_config(page_title=t("generate.page_title"), layout="wide")
ds_name, model_name = ui.sidebar()
model, meta = ui.load_or_stop(ds_name, model_name)
ds = ui.dataset(ds_name)
mu, sigma = ui.sample_posteriors(ds_name, model_name)
train = ui.sample_posteriors(ds_name, model_name, TRAIN)  # holes: where the decoder never learned
state = st.session_state


def show(where, z, cols: int, px: int, caption: str) -> None:
    """decoder(z) tiled `cols` wide, each tile about px wide, as a lossless (crisp) PNG."""
    tiles = generate.decoded_mosaic(model, z, ds.image_shape, cols, tile_px=px)
    where.image(tiles, caption=caption, output_format="PNG")


st.title(t("generate.title"))
st.markdown(t("generate.intro"))
if model.is_ae:
    st.warning(t("generate.ae"))
ui.keep_widgets(
    {
        "generate.n": generate.SAMPLES_DEFAULT,
        "generate.seed": 0,
        "generate.g": generate.GRID_DEFAULT,
        "generate.spacing": generate.SPACINGS[0],
        "generate.limit": generate.LIMIT_DEFAULT,
        "generate.steps": generate.STEPS_DEFAULT,
    }
)


def samples_section() -> None:
    st.latex(rf"z \sim \mathcal{{N}}(0, I),\qquad x = {t('generate.decoder_tex')}(z)")
    c1, c2 = st.columns(2)
    n = c1.segmented_control(t("generate.samples_n"), generate.SAMPLE_COUNTS, key="generate.n")
    n = n or generate.SAMPLES_DEFAULT  # none selected: the default
    seed = c2.number_input(
        t("generate.seed"), min_value=0, max_value=generate.SEED_MAX, key="generate.seed"
    )
    z, (left, right) = generate.prior_samples(n, seed), st.columns(2)
    hole = generate.in_hole(z, *train)
    with left:  # the samples, numbered as in the mosaic: red in a hole, black elsewhere
        colours = [fg.HOLE if h else "#000" for h in hole]
        ui.latent_plane(
            "gen_samples",
            ds_name,
            model_name,
            z_key="generate.pin",
            report=False,
            marks=[{"kind": "points", "z": z.tolist(), "colour": "#000", "colours": colours}],
        )
    caption = t("generate.samples_caption", n=n, seed=seed)
    show(right, z, math.isqrt(n), generate.TILE_PX, caption)
    right.caption(t("generate.samples_holes", holes=int(hole.sum()), n=n))


def grid_section() -> None:
    uniform = t("generate.uniform_tex")
    st.latex(
        rf"z_d \in [-a, a]\ \text{{({uniform})}}\qquad "
        r"z_d = \Phi^{-1}\big(\tfrac{i+1/2}{G}\big)"
    )
    c1, c2, c3 = st.columns(3)
    g = c1.slider(t("generate.grid_size"), generate.GRID_MIN, generate.GRID_MAX, key="generate.g")
    spacing = c2.radio(
        t("generate.spacing"),
        generate.SPACINGS,
        horizontal=True,
        key="generate.spacing",
        format_func=lambda s: t(f"generate.spacing.{s}"),
    )
    lo, hi, _, step = generate.LIMIT_SLIDER
    a = c3.slider(
        t("generate.half_width"),
        lo,
        hi,
        step=step,
        key="generate.limit",
        disabled=spacing != "uniform",
    )
    st.caption(t("generate.inverse_cdf"))
    zg, (left, right) = generate.manifold_grid(g, spacing, a), st.columns(2)
    with left:  # the grid's z as dots: the mosaic beside decodes each
        ui.latent_plane(
            "gen_grid",
            ds_name,
            model_name,
            z_key="generate.pin",
            report=False,
            marks=[{"kind": "points", "z": zg.tolist(), "colour": "#000"}],
        )
    caption = t("generate.grid_caption", g=g, spacing=t(f"generate.spacing.{spacing}"))
    show(right, zg, g, generate.GRID_PX // g, caption)


NUMBER = dict(min_value=-probe.Z_LIMIT, max_value=probe.Z_LIMIT, step=0.1, format="%.2f")


def endpoint(end: str, default: tuple[float, float]) -> tuple[float, float]:
    """Number inputs for A or B, kept in step with state["generate.a"] / ["generate.b"]."""
    keys = [f"generate.{end}{d}" for d in (1, 2)]
    state.update(zip(keys, state.setdefault(f"generate.{end}", default), strict=True))

    def typed() -> None:
        state[f"generate.{end}"] = tuple(state[k] for k in keys)

    for col, key, d in zip(st.columns(2), keys, "₁₂", strict=True):
        col.number_input(f"{end.upper()} z{d}", key=key, on_change=typed, **NUMBER)
    return state[f"generate.{end}"]


@st.fragment(key="interpolate")
def interpolate() -> None:
    generate.assign_click(state)  # a click sets A, the next B, ...
    left, right = st.columns(2)
    if err := state.pop("generate.click.error", None):
        right.warning(err)
    nxt = state.get("generate.next", "a").upper()
    right.info(t("generate.click_info", end=nxt))
    with right:
        a, b = endpoint("a", generate.DEFAULT_A), endpoint("b", generate.DEFAULT_B)
    steps = right.slider(
        t("generate.steps"), generate.STEPS_MIN, generate.STEPS_MAX, key="generate.steps"
    )
    path = generate.linear_path(a, b, steps)
    hole, outside = generate.in_hole(path, *train), generate.outside_disc(path)
    # the path's steps: red in a hole, orange outside the prior's 2σ circle, black otherwise
    colours = [
        fg.HOLE if h else fg.OUTSIDE if o else "#000" for h, o in zip(hole, outside, strict=True)
    ]
    marks = [
        {"kind": "path", "z": path.tolist(), "colour": "#000", "colours": colours},
        {"kind": "star", "z": list(a), "colour": "#fff", "label": "A"},
        {"kind": "star", "z": list(b), "colour": "#fff", "label": "B"},
    ]
    with left:
        ui.latent_plane(
            "gen_plane",
            ds_name,
            model_name,
            z_key="generate.click",
            fragment="interpolate",
            marks=marks,
        )
        st.caption(t("generate.path_caption"))
    show(right, path, steps, generate.STRIP_PX // steps, t("generate.strip_caption"))
    right.markdown(generate.path_summary(outside, hole, lang.current()))


def path_section() -> None:
    st.latex(r"z(t) = (1 - t)\,A + t\,B,\qquad t \in [0, 1]")
    interpolate()


# A tab's label is its value in the link (?generate.section=...); ui.sections opens it in either
# language.
ui.sections(
    {
        "generate.tab.samples": samples_section,
        "generate.tab.grid": grid_section,
        "generate.tab.path": path_section,
    },
    key="generate.section",
)

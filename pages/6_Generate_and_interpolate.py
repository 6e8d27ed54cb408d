"""Generate and interpolate: decode prior samples, a grid over the plane, and a straight path."""

from __future__ import annotations

import math

import streamlit as st

from vae_geom import generate, probe, ui
from vae_geom.data import TRAIN
from vae_geom.figures import generate as fg

st.set_page_config(page_title="vae-geom · Generate and interpolate", layout="wide")
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


st.title("Generate: decode the prior")
st.markdown(
    "A VAE generates by decoding a z it never saw. That works where the training data's ellipses "
    "cover the plane and fails in the **holes** (red), where the decoder was never trained. "
    "Three ways to pick the z, one per tab."
)
if model.is_ae:
    st.warning(
        "An AE's codes are points, and points cover no area: here every z counts as a hole, "
        "whatever its decode looks like. **Points vs ellipses** measures how the AE's prior "
        "samples look, with an independent judge."
    )
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
    st.latex(r"z \sim \mathcal{N}(0, I),\qquad x = \mathrm{decoder}(z)")
    c1, c2 = st.columns(2)
    n = c1.segmented_control("Samples N", generate.SAMPLE_COUNTS, key="generate.n")
    n = n or generate.SAMPLES_DEFAULT  # none selected: the default
    seed = c2.number_input("Seed", min_value=0, max_value=generate.SEED_MAX, key="generate.seed")
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
    caption = f"decoder(z), {n} draws (seed {seed}), row by row"
    show(right, z, math.isqrt(n), generate.TILE_PX, caption)
    right.caption(
        f"{hole.sum()} of {n} samples land in a hole: outside every training sample's 2σ "
        "ellipse (the plane draws the test set's); they are red on the plane. Point at a "
        "sample to decode it."
    )


def grid_section() -> None:
    st.latex(r"z_d \in [-a, a]\ \text{(uniform)}\qquad z_d = \Phi^{-1}\big(\tfrac{i+1/2}{G}\big)")
    c1, c2, c3 = st.columns(3)
    g = c1.slider("Grid size G", generate.GRID_MIN, generate.GRID_MAX, key="generate.g")
    spacing = c2.radio("Spacing", generate.SPACINGS, horizontal=True, key="generate.spacing")
    lo, hi, _, step = generate.LIMIT_SLIDER
    a = c3.slider(
        "Half-width a (uniform)",
        lo,
        hi,
        step=step,
        key="generate.limit",
        disabled=spacing != "uniform",
    )
    st.caption(
        "Inverse-CDF: each cell holds prior mass 1/G², so cells crowd where the prior lives."
    )
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
    show(
        right, zg, g, generate.GRID_PX // g, f"decoder(z), {g}×{g} {spacing} grid; z₂ grows upward"
    )


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
    right.info(f"**Click the plane** to set A, then B, then A… The next click sets **{nxt}**.")
    with right:
        a, b = endpoint("a", generate.DEFAULT_A), endpoint("b", generate.DEFAULT_B)
    steps = right.slider("Steps", generate.STEPS_MIN, generate.STEPS_MAX, key="generate.steps")
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
        st.caption(
            "The path z(t) from A to B: a step is red in a hole (no training sample's 2σ "
            "ellipse holds it), orange outside the prior's 2σ circle. Point anywhere to decode."
        )
    show(right, path, steps, generate.STRIP_PX // steps, "decoder(z(t)), t = 0 (A) … 1 (B)")
    right.markdown(generate.path_summary(outside, hole))


def path_section() -> None:
    st.latex(r"z(t) = (1 - t)\,A + t\,B,\qquad t \in [0, 1]")
    interpolate()


ui.sections(
    {
        "1 · Samples of the prior": samples_section,
        "2 · A grid over the plane": grid_section,
        "3 · A path from A to B": path_section,
    },
    key="generate.section",
)

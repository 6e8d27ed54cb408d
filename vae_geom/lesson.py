"""The Lesson (issue 15): the essay's argument in eight steps, as data. No Streamlit here.

The essay: Su Jianlin (苏剑林), "变分自编码器（六）：从几何视角来理解VAE的尝试", Scientific Spaces
(科学空间), 2020-09-10, https://kexue.fm/archives/7725 — its argument in order, paraphrased.

Each step names a curated preset (dataset, model, z, the sample shown), its formula, what the
student is asked (a click on the plane, or a choice among `choices`) and which function computes
the truth from the shipped models (their records, their posteriors, the judge), never a
hard-coded answer. The words of each step live in the catalogues
(vae_geom/locales/<lang>/lesson.json, keys "lesson.<id>.*"); vae_geom/ui/lesson.py draws a step.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from vae_geom import geometry

ESSAY_URL = "https://kexue.fm/archives/7725"
DATASET = "mnist"  # every preset: the one dataset with a judge and the clearest pictures

HOLE_DISC = 2.0  # a hole of the AE is looked for inside the prior's 2σ circle, where codes could be
# (its 4,000 training codes lie ~0.03 apart there: a gap is too narrow to click, so a hole is
# where the decoder makes no digit, as the judge reads it)
BLEND_SHARE = 0.2  # decode(z) is a blend where the judge gives a second class at least this
SHRINK = 0.5  # "the ellipses shrink": 2σ coverage below half of the β = 1 VAE's
UNION_SIGMA = 0.5  # at β = 3, "each ellipse is the unit circle" only if median σ reaches this


@dataclass(frozen=True)
class Step:
    """One step of the lesson. `kind` "click": the student pins z on the plane; "choice": picks one
    of `choices` (ids; their words are "lesson.<id>.choice.<c>"). `figure`: "plane" (the latent
    plane of `model`, then of `reveal_model` once answered, if set) or "shapes" (four code spaces).
    `page`: the full page showing the same view; `model_q`: the model its link asks for."""

    id: str
    figure: str
    kind: str
    formula: str
    page: str
    model: str | None = None
    reveal_model: str | None = None
    z: tuple[float, float] | None = None
    sample: bool = False  # the preset's z is a test sample's μ (one reconstructed as itself)
    k: float = 1.0
    choices: tuple[str, ...] = ()
    dataset: str = DATASET


STEPS: tuple[Step, ...] = (
    Step(
        id="ae",
        figure="plane",
        kind="click",
        model="ae",
        formula=r"z = E(x),\qquad \hat x = D(z),\qquad \min\ \lVert x - D(E(x))\rVert^2",
        page="pages/1_Points_vs_ellipses.py",
    ),
    Step(
        id="shapes",
        figure="shapes",
        kind="choice",
        choices=("scattered", "line", "ring", "disc"),
        formula=r"\{\,E(x_i)\,\}_{i=1}^{N} \subset \mathbb{R}^2",
        page="pages/5_Code_space_shapes.py",
    ),
    Step(
        id="areas",
        figure="plane",
        kind="choice",
        model="vae-kl-1",
        choices=("lt10", "10_50", "50_90", "gt90"),
        formula=r"q(z\mid x) = \mathcal{N}\big(\mu(x),\ \mathrm{diag}\,\sigma^2(x)\big)",
        page="app.py",
    ),
    Step(
        id="reparam",
        figure="plane",
        kind="choice",
        model="vae-kl-1",
        sample=True,
        k=2.0,
        choices=("same", "other", "noise"),
        formula=r"\min\ \lVert x - D\big(\mu(x) + \varepsilon\odot\sigma(x)\big)\rVert^2,"
        r"\qquad \varepsilon\sim\mathcal{N}(0, I)",
        page="pages/3_Reparameterisation.py",
    ),
    Step(
        id="regular",
        figure="plane",
        kind="choice",
        model="vae-kl-1",
        reveal_model="vae-kl-0",
        choices=("grow", "shrink", "same"),
        formula=r"\lVert\mu\rVert^2 + \lVert\sigma - 1\rVert^2 \quad\text{vs}\quad "
        r"\mathrm{KL} = \tfrac12\textstyle\sum_i"
        r"\big(\mu_i^2 + \sigma_i^2 - \log\sigma_i^2 - 1\big)",
        page="pages/4_Regularisers.py",
    ),
    Step(
        id="union",
        figure="plane",
        kind="choice",
        model="vae-kl-3",
        choices=("each", "union"),
        formula=r"q(z) = \tfrac1N\textstyle\sum_{i} \mathcal{N}\big(z;\ \mu_i,\ "
        r"\mathrm{diag}\,\sigma_i^2\big)\ \approx\ \mathcal{N}(0, I)",
        page="pages/2_KL_and_coverage.py",
    ),
    Step(
        id="sample",
        figure="plane",
        kind="choice",
        model="vae-kl-1",
        z=(0.8, -0.6),
        choices=("lt25", "25_60", "60_90", "gt90"),
        formula=r"z \sim \mathcal{N}(0, I),\qquad \hat x = D(z)",
        page="pages/6_Generate_and_interpolate.py",
    ),
    Step(
        id="blend",
        figure="plane",
        kind="choice",
        model="vae-kl-1",
        z=(0.4, -0.05),  # where the 4s' and 9s' ellipses overlap and the decoder's image is read as
        # either (the judge: about 1:1); tests/test_page_lesson.py checks both
        k=2.0,
        choices=("a", "b", "blend", "noise"),
        formula=r"D(z) \approx \textstyle\sum_i r_i(z)\, x_i,\qquad r_i(z) = "
        r"\frac{q(z\mid x_i)}{\sum_j q(z\mid x_j)}",
        page="app.py",
    ),
)
IDS = tuple(s.id for s in STEPS)
BLEND_CLASSES = (4, 9)  # the two classes whose ellipses overlap at the blend step's z
RUNGS = ("vae-kl-0", "vae-kl-0.1", "vae-kl-0.3", "vae-kl-1", "vae-kl-3")  # the β ladder


def step(number: int) -> Step:
    """Step `number`, 1-based."""
    return STEPS[number - 1]


def parse_step(value: object) -> int | None:
    """?step=3 -> 3; anything else (missing, not a whole number, out of range) -> None."""
    try:
        n = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return n if 1 <= n <= len(STEPS) and str(value).strip().lstrip("+").isdigit() else None


@dataclass(frozen=True)
class Answer:
    """One prediction, as the classroom collects it: which step, what was asked, what the student
    answered, the truth, whether they agree, and the numbers behind the truth."""

    step: str
    question: str
    answer: str
    truth: str
    right: bool
    facts: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


# --- the truths, from the models' own numbers ----------------------------------------------------


def hole_truth(z, mu_train: np.ndarray, probs, tau: float) -> tuple[str, dict]:
    """Is z a hole of the AE's code space: a z inside the prior's 2σ circle (where codes could be)
    whose decoding the judge reads as no digit at all (its top class probability, of `probs`,
    below its "looks real" threshold `tau`)? "hole" if so; "outside" beyond the circle; "real" where
    the decoder makes a digit there. The facts: the judge's reading, the nearest training code."""
    z = np.asarray(z, dtype=np.float64)
    d = np.linalg.norm(np.asarray(mu_train, dtype=np.float64) - z, axis=1)
    probs = np.asarray(probs, dtype=np.float64)
    top = int(np.argmax(probs))
    facts = {
        "distance": float(d.min()),
        "nearest": int(np.argmin(d)),
        "radius": float(np.linalg.norm(z)),
        "digit": top,
        "p": float(probs[top]),
        "tau": float(tau),
    }
    if facts["radius"] > HOLE_DISC:
        return "outside", facts
    return ("hole" if probs[top] < tau else "real"), facts


def shape_truth() -> str:
    """The shape the essay wants (and the KL asks for): a disc, compact and without gaps."""
    return "disc"


def coverage_bin(coverage: float) -> str:
    """The share of the prior's mass under the 2σ ellipses, as one of step 3's choices."""
    return _bin(coverage, (0.1, 0.5, 0.9), ("lt10", "10_50", "50_90", "gt90"))


def _bin(value: float, edges: tuple[float, ...], names: tuple[str, ...]) -> str:
    return names[int(np.searchsorted(edges, value, side="right"))]


def reparam_truth(labels: np.ndarray, label: int) -> tuple[str, dict]:
    """What draws z = μ + ε σ decode to, by the judge's labels of their decodings: "same" when
    most read as x's class."""
    share = float(np.mean(np.asarray(labels) == label))
    return ("same" if share >= 0.5 else "other"), {"share": share, "draws": len(labels)}


def kl_off_truth(coverage_off: float, coverage_on: float) -> str:
    """What the ellipses do when the KL is switched off, from the two models' 2σ coverage."""
    if coverage_off < SHRINK * coverage_on:
        return "shrink"
    return "grow" if coverage_off > coverage_on / SHRINK else "same"


def union_truth(sigma: np.ndarray) -> tuple[str, dict]:
    """At the largest β, is each ellipse the unit circle, or only their union the disc? From the
    median σ of the model's posteriors (the unit circle has σ = 1)."""
    median = float(np.median(np.asarray(sigma)))
    return ("each" if median >= UNION_SIGMA else "union"), {"median_sigma": median}


def real_bin(prior_real: float) -> str:
    """The share of prior draws the judge reads as real, as one of step 7's choices."""
    return _bin(prior_real, (0.25, 0.6, 0.9), ("lt25", "25_60", "60_90", "gt90"))


def pick_sample(sigma: np.ndarray, recognised: np.ndarray) -> int:
    """The reparameterisation step's sample: of those the model reconstructs as themselves (the
    judge's reading), the one with the widest ellipse (largest σ₁σ₂), so that it shows."""
    area = np.prod(np.asarray(sigma, dtype=np.float64), axis=1)
    ok = np.flatnonzero(np.asarray(recognised, dtype=bool))
    return int(ok[np.argmax(area[ok])]) if len(ok) else 0


def blend_truth(
    z, mu_train, sigma_train, y_train, probs, classes=BLEND_CLASSES
) -> tuple[str, dict]:
    """What the decoder gives at z, read by the judge (`probs`: its class probabilities of
    decode(z)): "blend" when its second class holds BLEND_SHARE or more, else the leading class ("a"
    or "b" for `classes`); "noise" where no training ellipse (2σ) reaches z. The facts add how much
    the training posteriors of each class claim z (their responsibilities)."""
    r = geometry.responsibilities(z, mu_train, sigma_train)
    y = np.asarray(y_train)
    probs = np.asarray(probs, dtype=np.float64)
    inside = int(geometry.covered_by(z, mu_train, sigma_train, k=2.0).sum())
    facts = {
        "a": float(r[y == classes[0]].sum()),
        "b": float(r[y == classes[1]].sum()),
        "pa": float(probs[classes[0]]),
        "pb": float(probs[classes[1]]),
        "inside": inside,
    }
    if inside == 0:
        return "noise", facts
    order = np.argsort(-probs)
    if probs[order[1]] >= BLEND_SHARE:
        return "blend", facts
    top = int(order[0])
    return ("a" if top == classes[0] else "b" if top == classes[1] else "noise"), facts

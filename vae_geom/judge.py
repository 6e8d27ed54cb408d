"""An independent judge of decoded images: a pixel classifier fitted on the real training images.

The essay's claim "an AE's holes decode to garbage" is checked here, not assumed. The judge is a
multinomial logistic regression on raw pixels (sklearn, fitted once by `python -m vae_geom
fit-judges`), stored as safetensors + JSON like the models and evaluated with numpy, so the app
needs no sklearn object and nothing is ever unpickled. A decode "looks like real data" when the
judge's top-class probability reaches tau, the 10th percentile of that probability on the real
test images (so 90% of real images pass). For the shapes dataset the classes are angle sectors.

`judge_scores` measures one model: the judge's agreement with decode(mu(x)) on test images, the
kNN accuracy of mu, and, for M prior draws z ~ N(0, I), how many decodes look real and how far the
judged classes' histogram is from the data's (total-variation distance).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vae_geom import geometry
from vae_geom.i18n import Text, TextError
from vae_geom.models import VAE, decode_images, posteriors

FORMAT_VERSION = 1
REAL_QUANTILE = 0.10  # tau passes 90% of real test images
MAX_ITER = 2000  # lbfgs converges on the shipped datasets well before this
KNN_K = 10
PRIOR_SAMPLES = 2000  # M prior draws judged per model
PRIOR_SEED = 0
HOLE_RADIUS = 2.0  # "a hole of the AE" is looked for inside the prior's 2-sigma disc
MAX_CLASSES = 256
MAX_INPUT_DIM = 1 << 16  # 256x256 pixels: far above any dataset the app draws
MAX_JSON_BYTES = 100_000
MODELS_DIR = Path(__file__).resolve().parent.parent / "assets" / "models"  # as ladder.MODELS_DIR


class JudgeError(TextError):
    """A judge file that cannot be used; the message names the file and the fix, in either
    language (a Text of the judge.error.* catalogue keys; str() is the English)."""


@dataclass(frozen=True)
class Judge:
    """softmax(x @ coef.T + intercept) over `classes`; tau: the 'looks real' threshold."""

    coef: np.ndarray  # (C, D) float32
    intercept: np.ndarray  # (C,) float32
    classes: np.ndarray  # (C,) int64, the labels in the order of coef's rows
    tau: float  # top-class probability that 90% of real test images reach
    accuracy: float  # on the real test images: how far the judge itself can be trusted

    def predict_proba(self, x) -> np.ndarray:
        """(n, C) class probabilities of images x of shape (n, D), as sklearn's predict_proba."""
        logits = np.asarray(x, np.float64) @ self.coef.T.astype(np.float64) + self.intercept
        logits -= logits.max(axis=1, keepdims=True)  # exp never overflows
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)

    def judge(self, x) -> tuple[np.ndarray, np.ndarray]:
        """(labels, top probabilities), each of shape (n,), of images x."""
        p = self.predict_proba(x)
        return self.classes[p.argmax(axis=1)], p.max(axis=1)


def fit_judge(ds) -> Judge:
    """Fit the judge on ds's training pixels; tau and accuracy from its test pixels."""
    from sklearn.linear_model import LogisticRegression  # only when fitting: the app never does

    if len(np.unique(ds.y_train)) < 2:
        raise ValueError("A judge needs labelled data with at least two classes.")
    clf = LogisticRegression(max_iter=MAX_ITER).fit(ds.x_train, ds.y_train)
    return from_sklearn(clf, ds.x_test, ds.y_test)


def from_sklearn(clf, x_test, y_test) -> Judge:
    """The numpy judge of a fitted LogisticRegression, with tau and accuracy on (x_test, y_test)."""
    coef, intercept = clf.coef_, clf.intercept_
    if len(clf.classes_) == 2:  # sklearn keeps one row w: p(1) = sigmoid(w.x + b) = softmax([0, .])
        coef, intercept = np.vstack([np.zeros_like(coef), coef]), np.r_[0.0, intercept]
    # C order: sklearn's coef_ may be Fortran-ordered, and safetensors writes the raw buffer
    coef, intercept = (np.ascontiguousarray(a, np.float32) for a in (coef, intercept))
    j = Judge(coef, intercept, clf.classes_, 0.0, 0.0)
    labels, top = j.judge(x_test)
    tau = float(np.quantile(top, REAL_QUANTILE))
    return Judge(
        j.coef, j.intercept, j.classes.astype(np.int64), tau, float(np.mean(labels == y_test))
    )


# ---------------------------------------------------------------------------- measuring a model


def prior_draws(m: int = PRIOR_SAMPLES, seed: int = PRIOR_SEED) -> np.ndarray:
    """The m prior draws z ~ N(0, I) every model is judged on, shape (m, 2)."""
    return geometry.prior_samples(m, seed)


def class_tv(labels: np.ndarray, reference: np.ndarray, classes: np.ndarray) -> float:
    """Total-variation distance between two label histograms: half the L1 distance of their
    class frequencies; 0 when the mixes agree, 1 when they share no class."""
    p, q = class_frequencies(labels, classes), class_frequencies(reference, classes)
    return float(0.5 * np.abs(p - q).sum())


def knn_accuracy(mu_train, y_train, mu_test, y_test, k: int = KNN_K) -> float:
    """How well the codes alone tell the classes apart: kNN fit on training mu, scored on test."""
    from sklearn.neighbors import KNeighborsClassifier

    knn = KNeighborsClassifier(min(k, len(mu_train))).fit(mu_train, y_train)
    return float(knn.score(mu_test, y_test))


def first_recognised(model: VAE, x: np.ndarray, y: np.ndarray, judge: Judge) -> int:
    """The first sample whose reconstruction decode(mu(x)) the judge reads as x's own class, and
    surely (top probability >= tau): a page's default sample, so that what it shows first is a
    model doing its job. 0 if there is none."""
    mu, _ = posteriors(model, x)
    labels, top = judge.judge(decode_images(model, mu))
    good = np.flatnonzero((labels == y) & (top >= judge.tau))
    return int(good[0]) if len(good) else 0


def judge_scores(
    model: VAE, ds, judge: Judge, m: int = PRIOR_SAMPLES, seed: int = PRIOR_SEED
) -> dict:
    """The judge's figures for one model, as plain floats (they go into a model's JSON).

    agreement: the judge's class of decode(mu(x)) equals x's label, on test images;
    knn_mu: kNN accuracy of the codes mu; prior_real: fraction of decode(z), z ~ N(0, I), that
    look real (top probability >= tau); prior_class_tv: TV distance between the judged classes of
    those decodes and the training split's class frequencies; prior_samples: m.
    """
    mu_test, _ = posteriors(model, ds.x_test)
    mu_train, _ = posteriors(model, ds.x_train)
    labels, _ = judge.judge(decode_images(model, mu_test))
    _, prior_labels, top = judge_prior(model, judge, m, seed)
    return {
        "agreement": float(np.mean(labels == ds.y_test)),
        "knn_mu": knn_accuracy(mu_train, ds.y_train, mu_test, ds.y_test),
        "prior_real": float(np.mean(top >= judge.tau)),
        "prior_class_tv": class_tv(prior_labels, ds.y_train, judge.classes),
        "prior_samples": int(m),
    }


def judge_prior(
    model: VAE, judge: Judge, m: int = PRIOR_SAMPLES, seed: int = PRIOR_SEED
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(z, labels, top probabilities) of the m prior draws: what the judge sees in each decode."""
    z = prior_draws(m, seed)
    labels, top = judge.judge(decode_images(model, z))
    return z, labels, top


def class_frequencies(labels: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """The fraction of labels in each of `classes`, shape (C,)."""
    return (
        np.array([np.mean(labels == c) for c in classes]) if len(labels) else np.zeros(len(classes))
    )


def worst_prior_sample(
    model: VAE,
    judge: Judge,
    radius: float = HOLE_RADIUS,
    m: int = PRIOR_SAMPLES,
    seed: int = PRIOR_SEED,
) -> np.ndarray:
    """Among the prior draws inside the prior's `radius`-sigma disc, the z (shape (2,)) whose
    decode the judge finds least like real data: "a hole" chosen by what it decodes to, not by
    where codes are missing (an empty region may still decode to a clean image)."""
    z, _, top = judge_prior(model, judge, m, seed)
    return z[least_real(z, top, radius)]


def least_real(z: np.ndarray, top: np.ndarray, radius: float = HOLE_RADIUS) -> int:
    """The index of the draw inside the radius-sigma disc with the lowest top probability."""
    return int(np.argmin(np.where(np.linalg.norm(z, axis=1) <= radius, top, np.inf)))


def summary(ae: dict, vae: dict, vae_name: str = "the VAE") -> str:
    """What the numbers say about AE vs VAE prior samples, worded by comparing them (so a model
    that contradicts the essay's slogan gets the sentence that is true of it)."""
    real = _compare(ae["prior_real"], vae["prior_real"], "about as often as", "more often than")
    tv = _compare(ae["prior_class_tv"], vae["prior_class_tv"], "about as far from", "further from")
    text = (
        f"The AE's prior samples look like real data {real} {vae_name}'s "
        f"({ae['prior_real']:.0%} vs {vae['prior_real']:.0%}), and their mix of classes is "
        f"{tv} the data's (TV {ae['prior_class_tv']:.2f} vs "
        f"{vae['prior_class_tv']:.2f})."
    )
    skewed = tv == "further from"
    if ae["prior_real"] >= 0.5:
        text += " So most of them are not garbage"
        text += ": what goes wrong is the mix." if skewed else "."
    if skewed:
        text += (
            " The AE's codes do not fill the prior, so draws of N(0, I) fall on some classes' "
            "codes far more often than the data holds those classes."
        )
    return text


def skew_note(
    freq: np.ndarray, data_freq: np.ndarray, classes: np.ndarray, name: str, label=str
) -> str:
    """The class a model's prior samples over-produce most, with its share vs the data's;
    label(c) names class c (a Dataset's label_text: "digit 2")."""
    i = int(np.argmax(freq - data_freq))
    return (
        f"{name}'s most over-produced class is {label(classes[i])}: {freq[i]:.0%} of its prior "
        "samples, "
        f"{data_freq[i]:.0%} of the real data."
    )


CLOSE = 0.05  # differences of fractions below this are read as "about the same"


def _compare(a: float, b: float, same: str, more: str) -> str:
    """same when a and b differ by less than CLOSE, else more (a > b) or its opposite."""
    if abs(a - b) < CLOSE:
        return same
    return more if a > b else OPPOSITE[more]


OPPOSITE = {"more often than": "less often than", "further from": "closer to"}


# ---------------------------------------------------------------------------- files


def paths(stem: str | Path) -> tuple[Path, Path]:
    """(weights, record) of a judge stem such as assets/models/mnist/judge."""
    stem = Path(stem)
    return stem.parent / f"{stem.name}.safetensors", stem.parent / f"{stem.name}.json"


def judge_stem(dataset: str, root: Path | None = None) -> Path:
    """Where a dataset's judge lives: beside its shipped models."""
    return Path(root or MODELS_DIR) / dataset / "judge"


def save_judge(judge: Judge, stem: str | Path, meta: dict | None = None) -> None:
    """Write coef and intercept as safetensors, the rest as JSON data."""
    from safetensors.numpy import save_file

    weights, record = paths(stem)
    weights.parent.mkdir(parents=True, exist_ok=True)
    arrays = {"coef": judge.coef, "intercept": judge.intercept}
    save_file({k: np.ascontiguousarray(v, np.float32) for k, v in arrays.items()}, str(weights))
    body = {
        "format_version": FORMAT_VERSION,
        **(meta or {}),
        "classes": [int(c) for c in judge.classes],
        "tau": judge.tau,
        "accuracy": judge.accuracy,
        "input_dim": int(judge.coef.shape[1]),
    }
    record.write_text(json.dumps(body, indent=2) + "\n")


def load_judge(stem: str | Path) -> Judge:
    """The judge saved at stem, validated (sizes, shapes, finite numbers); JudgeError otherwise."""
    weights, record = paths(stem)
    meta = _read_record(record)
    c, d = len(meta["classes"]), meta["input_dim"]
    tensors = _read_weights(weights, c * d * 4 + c * 4)
    for key, shape in (("coef", (c, d)), ("intercept", (c,))):
        t = tensors.get(key)
        if t is None or t.shape != shape or t.dtype != np.float32 or not np.isfinite(t).all():
            raise JudgeError(
                Text(
                    "judge.error.array",
                    where=weights.name,
                    key=key,
                    shape=str(shape),
                    record=record.name,
                    refit=REFIT,
                )
            )
    classes = np.array(meta["classes"], np.int64)
    return Judge(tensors["coef"], tensors["intercept"], classes, meta["tau"], meta["accuracy"])


REFIT = Text("judge.error.refit", command="python -m vae_geom fit-judges")


def _read_record(record: Path) -> dict:
    """The JSON record, parsed as data and checked field by field."""
    if not record.is_file():
        raise JudgeError(Text("judge.error.missing", where=record.name, refit=REFIT))
    if record.stat().st_size > MAX_JSON_BYTES:
        raise JudgeError(Text("judge.error.record_size", where=record.name, refit=REFIT))
    try:
        meta = json.loads(record.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise JudgeError(Text("judge.error.json", where=record.name, refit=REFIT)) from e
    if not (isinstance(meta, dict) and meta.get("format_version") == FORMAT_VERSION):
        raise JudgeError(
            Text("judge.error.format", where=record.name, version=FORMAT_VERSION, refit=REFIT)
        )
    classes, d = meta.get("classes"), meta.get("input_dim")
    ok = (
        isinstance(classes, list)
        and 2 <= len(classes) <= MAX_CLASSES
        and all(type(v) is int for v in classes)
        and len(set(classes)) == len(classes)
        and type(d) is int
        and 0 < d <= MAX_INPUT_DIM
        and all(_fraction(meta.get(k)) for k in ("tau", "accuracy"))
    )
    if not ok:
        raise JudgeError(
            Text(
                "judge.error.fields",
                where=record.name,
                most=MAX_CLASSES,
                most_dim=MAX_INPUT_DIM,
                classes="classes",
                input_dim="input_dim",
                tau="tau",
                accuracy="accuracy",
                refit=REFIT,
            )
        )
    return meta


def _fraction(v: object) -> bool:
    return type(v) in (int, float) and math.isfinite(v) and 0.0 <= v <= 1.0


def _read_weights(weights: Path, expected_bytes: int) -> dict[str, np.ndarray]:
    """The safetensors arrays, read only if the file is no larger than its record allows."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    if not weights.is_file():
        raise JudgeError(Text("judge.error.missing", where=weights.name, refit=REFIT))
    if weights.stat().st_size > expected_bytes + 4096:  # the header: two names, shapes, offsets
        raise JudgeError(Text("judge.error.weights_size", where=weights.name, refit=REFIT))
    try:
        return load_file(str(weights))
    except (SafetensorError, OSError, ValueError) as e:
        raise JudgeError(Text("judge.error.weights", where=weights.name, refit=REFIT)) from e

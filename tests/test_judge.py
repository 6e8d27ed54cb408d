"""The judge of decoded images: numpy prediction against sklearn's, files, and its figures on
models whose answers are known (a perfect 2-class model, a collapsed one)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression

from vae_geom import judge
from vae_geom.__main__ import main
from vae_geom.data import Dataset
from vae_geom.models import ModelConfig, decode_images, make_model

PATTERN = np.array([1.0, 1.0, 0.0, 0.0], np.float32)  # class 0; class 1 is its complement


def _images(labels: np.ndarray, rng) -> np.ndarray:
    clean = np.where(labels[:, None] == 0, PATTERN, 1 - PATTERN)
    return np.clip(clean + rng.normal(0, 0.15, clean.shape), 0, 1).astype(np.float32)


@pytest.fixture(scope="module")
def toy() -> Dataset:
    """Two balanced classes of 2x2 images: bright top row (0) or bright bottom row (1)."""
    rng = np.random.default_rng(0)
    y_train, y_test = np.repeat([0, 1], 100), np.repeat([0, 1], 50)
    x_train, x_test = _images(y_train, rng), _images(y_test, rng)
    return Dataset("toy", x_train, y_train, x_test, y_test, (2, 2))


@pytest.fixture(scope="module")
def toy_judge(toy) -> judge.Judge:
    return judge.fit_judge(toy)


def _ae(encoder_gain: float, decoder_gain: float):
    """An AE 4 -> 4 -> 2 -> 4 -> 4 written by hand: z1 = gain * (top - bottom row), and the
    decoder's logits = decoder_gain * z1 * (+1 top, -1 bottom); a gain of 0 makes it constant."""
    m = make_model(ModelConfig(4, hidden=(4,), kind="ae"))
    sign = torch.tensor([1.0, 1.0, -1.0, -1.0])
    with torch.no_grad():
        for p in m.parameters():
            p.zero_()
        m.encoder[0].weight.copy_(torch.eye(4))  # relu(x) = x for pixels in [0, 1]
        m.to_mu.weight[0] = encoder_gain * sign / 2
        m.decoder[0].weight[:2, 0] = torch.tensor([1.0, -1.0])  # relu(z1), relu(-z1)
        m.decoder[2].weight.copy_(decoder_gain * torch.outer(sign, torch.tensor([1.0, -1, 0, 0])))
        m.decoder[2].bias.copy_(-3.0 * sign if decoder_gain == 0 else torch.zeros(4))
    return m.eval()


def test_numpy_prediction_equals_sklearns(toy, digits):
    for ds in (toy, digits):  # binary (sklearn keeps one row of weights) and 10 classes
        clf = LogisticRegression(max_iter=judge.MAX_ITER).fit(ds.x_train, ds.y_train)
        j = judge.from_sklearn(clf, ds.x_test, ds.y_test)
        p = j.predict_proba(ds.x_test)
        np.testing.assert_allclose(p, clf.predict_proba(ds.x_test), atol=2e-5)
        assert np.array_equal(j.classes[p.argmax(1)], clf.predict(ds.x_test))
        assert j.accuracy == pytest.approx(clf.score(ds.x_test, ds.y_test))
        top = clf.predict_proba(ds.x_test).max(1)
        assert np.mean(top >= j.tau) == pytest.approx(0.9, abs=0.02)  # 90% of real images pass


def test_save_load_round_trip(digits, tmp_path):
    j = judge.fit_judge(digits)
    judge.save_judge(j, tmp_path / "judge", {"dataset": "digits"})
    back = judge.load_judge(tmp_path / "judge")
    assert np.array_equal(back.coef, j.coef) and np.array_equal(back.intercept, j.intercept)
    assert np.array_equal(back.classes, j.classes)
    assert (back.tau, back.accuracy) == (j.tau, j.accuracy)
    # the same answers after the trip: a Fortran-ordered coef_ once came back transposed
    np.testing.assert_array_equal(back.predict_proba(digits.x_test), j.predict_proba(digits.x_test))


def _corrupt(stem, what: str) -> None:
    weights, record = judge.paths(stem)
    meta = json.loads(record.read_text())
    if what == "truncated":
        weights.write_bytes(weights.read_bytes()[:100])
    elif what == "json":
        record.write_bytes(b"{not json")
    elif what == "classes":
        record.write_text(json.dumps(meta | {"classes": [0, 1, 2]}))
    elif what == "tau":
        record.write_text(json.dumps(meta | {"tau": 1.5}))
    elif what == "nan":
        from safetensors.numpy import load_file, save_file

        t = load_file(str(weights))
        t["coef"][0, 0] = np.nan
        save_file(t, str(weights))
    elif what == "large":
        weights.write_bytes(weights.read_bytes() + b"\0" * 10_000)
    elif what == "missing":
        weights.unlink()


@pytest.mark.parametrize(
    "what, message",
    [
        ("truncated", "not a readable safetensors file"),
        ("json", "not valid JSON"),
        ("classes", "larger than its record describes|not a finite float32 array"),
        ("tau", "lacks valid classes"),
        ("nan", "not a finite float32 array"),
        ("large", "larger than its record describes"),
        ("missing", "judge.safetensors is missing"),
    ],
)
def test_a_corrupt_judge_is_refused_with_the_fix(toy_judge, tmp_path, what, message):
    stem = tmp_path / "judge"
    judge.save_judge(toy_judge, stem)
    _corrupt(stem, what)
    with pytest.raises(judge.JudgeError, match=message) as e:
        judge.load_judge(stem)
    assert "python -m vae_geom fit-judges" in str(e.value)


def test_a_perfect_model_is_judged_perfect(toy, toy_judge):
    s = judge.judge_scores(_ae(4.0, 4.0), toy, toy_judge)
    assert s["agreement"] == 1.0 and s["knn_mu"] == 1.0
    assert s["prior_class_tv"] < 0.05  # the sign of z1 ~ N(0, 1) picks each class half the time
    assert s["prior_samples"] == judge.PRIOR_SAMPLES
    assert json.loads(json.dumps(s)) == s  # plain JSON numbers: they go into a model's record
    assert all(type(v) in (float, int) for v in s.values())


def test_a_collapsed_decoder_draws_one_class(toy, toy_judge):
    """A constant decode is one class: it agrees with half of balanced labels, and its mix is
    [1, 0] against the data's [0.5, 0.5]: TV 0.5."""
    s = judge.judge_scores(_ae(4.0, 0.0), toy, toy_judge)
    assert s["agreement"] == 0.5
    assert s["prior_class_tv"] == pytest.approx(0.5)
    assert s["prior_real"] in (0.0, 1.0)  # every decode is the same image


def test_the_worst_prior_sample_is_the_least_real_inside_the_disc(toy_judge):
    model = _ae(4.0, 4.0)
    z = judge.worst_prior_sample(model, toy_judge)
    assert np.linalg.norm(z) <= judge.HOLE_RADIUS
    draws = judge.prior_draws()
    candidates = draws[np.linalg.norm(draws, axis=1) <= judge.HOLE_RADIUS]
    _, top = toy_judge.judge(decode_images(model, candidates))
    _, top_z = toy_judge.judge(decode_images(model, z[None]))
    assert top_z[0] == top.min()
    assert any(np.array_equal(z, c) for c in candidates)
    # here the least real decode is a grey one near z1 = 0, between the two classes
    assert abs(z[0]) < 0.05


def test_class_tv_is_half_the_l1_distance():
    classes = np.array([0, 1, 2])
    assert judge.class_tv(np.array([0, 0, 1, 1]), np.array([0, 1, 2, 2]), classes) == 0.5
    assert judge.class_tv(np.array([2, 2]), np.array([0, 1]), classes) == 1.0


def test_the_summary_says_what_the_numbers_say():
    ae = {"prior_real": 0.80, "prior_class_tv": 0.51}
    vae = {"prior_real": 0.74, "prior_class_tv": 0.13}
    text = judge.summary(ae, vae, "the β = 1 VAE")
    assert "more often than the β = 1 VAE's (80% vs 74%)" in text
    assert "further from the data's (TV 0.51 vs 0.13)" in text
    assert "not garbage" in text and "do not fill the prior" in text
    kinder = judge.summary({"prior_real": 0.3, "prior_class_tv": 0.12}, vae)
    assert "less often than" in kinder and "about as far from" in kinder
    assert "garbage" not in kinder and "do not fill" not in kinder


def test_fit_judges_writes_a_judge_that_loads(tmp_path, capsys, digits):
    assert main(["fit-judges", "--dataset", "digits", "--out", str(tmp_path)]) == 0
    j = judge.load_judge(judge.judge_stem("digits", tmp_path))
    labels, _ = j.judge(digits.x_test)
    assert np.mean(labels == digits.y_test) == pytest.approx(j.accuracy)
    assert "digits: judge saved" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["mnist", "digits", "shapes"])
def test_the_shipped_judges_load_and_match_their_records(name):
    from vae_geom.data import load_dataset

    ds, j = load_dataset(name), judge.load_judge(judge.judge_stem(name))
    labels, _ = j.judge(ds.x_test)
    assert np.mean(labels == ds.y_test) == pytest.approx(j.accuracy)


def test_first_recognised_is_the_first_sample_the_judge_reads_as_itself():
    """On the digits beta = 1 VAE (the judge reads 85% of its reconstructions right): put three
    failures before one success and the success's index, 3, is returned; with only failures, 0."""
    import numpy as np

    from vae_geom import checkpoints, judge, ladder
    from vae_geom.data import load_dataset
    from vae_geom.models import decode_images, posteriors

    ds = load_dataset("digits")
    j = judge.load_judge(judge.judge_stem("digits"))
    model, _ = checkpoints.load(ladder.stem("digits", "vae-kl-1"))
    labels, top = j.judge(decode_images(model, posteriors(model, ds.x_test)[0]))
    ok = (labels == ds.y_test) & (top >= j.tau)
    order = np.concatenate([np.flatnonzero(~ok)[:3], np.flatnonzero(ok)[:1]])
    assert len(order) == 4
    assert judge.first_recognised(model, ds.x_test[order], ds.y_test[order], j) == 3
    fails = np.flatnonzero(~ok)[:5]
    assert judge.first_recognised(model, ds.x_test[fails], ds.y_test[fails], j) == 0

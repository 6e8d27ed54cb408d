"""The training split, where holes are judged (issue 13): Dataset.samples("train")."""

from __future__ import annotations

import numpy as np
import pytest

from vae_geom.data import SPLITS, TRAIN, load_dataset


def test_the_training_split_is_the_one_the_models_were_trained_on():
    ds = load_dataset("digits")
    x, y = ds.samples(TRAIN)
    assert x is ds.x_train and y is ds.y_train
    x_all, _ = ds.samples("all")
    np.testing.assert_array_equal(x_all[: len(x)], x)  # "all" is train then test
    assert TRAIN not in SPLITS  # the Explorer draws test or all; train is for judging holes


def test_an_unknown_split_lists_every_split():
    with pytest.raises(ValueError, match="'test', 'all', 'train'"):
        load_dataset("digits").samples("validation")

"""Shared fixtures: small, fast, session-scoped."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vae_geom import data
from vae_geom.models import ModelConfig, make_model
from vae_geom.training import TrainConfig, fit

torch.set_num_threads(1)


@pytest.fixture(scope="session")
def digits() -> data.Dataset:
    return data.load("digits")


@pytest.fixture(scope="session")
def tiny_vae(digits):
    """A VAE trained for a few epochs on the 8x8 digits: enough to have structure."""
    model = make_model(ModelConfig(digits.dim, hidden=(64, 32)), seed=0)
    history = fit(model, digits.x_train, TrainConfig(epochs=15, seed=0))
    return model, history


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)

"""The ONE module that imports Streamlit: cached loaders, the shared sidebar, guards.

Models are cached with `st.cache_resource` and shared by every session, so they are used read-only
in eval mode; encoded arrays are cached with `st.cache_data`, keyed by (dataset, model name).
"""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from vae_geom import checkpoints, ladder
from vae_geom.data import DATASETS, Dataset
from vae_geom.data import load as load_dataset
from vae_geom.models import VAE, posteriors

torch.set_num_threads(1)  # many sessions share 2 cores: one thread each avoids oversubscription

DATASET_LABELS = {
    "mnist": "MNIST digits (5,000 real, 28×28)",
    "digits": "scikit-learn digits (1,797, 8×8)",
    "shapes": "Bars (angle × length, 28×28)",
}
KEY_DATASET, KEY_MODEL = "sidebar.dataset", "sidebar.model"


@st.cache_resource(show_spinner="Loading the dataset…")
def dataset(name: str) -> Dataset:
    return load_dataset(name)


@st.cache_resource(show_spinner="Loading the model…")
def model(dataset_name: str, model_name: str) -> tuple[VAE, dict]:
    """(model, its JSON record); raises CheckpointError for a missing or corrupt file."""
    return checkpoints.load(ladder.stem(dataset_name, model_name))


@st.cache_data(show_spinner="Encoding the test set…")
def test_posteriors(dataset_name: str, model_name: str) -> tuple[np.ndarray, np.ndarray]:
    """(mu, sigma) of every test sample, each of shape (n, 2)."""
    m, _ = model(dataset_name, model_name)
    return posteriors(m, dataset(dataset_name).x_test)


def sidebar() -> tuple[str, str]:
    """The dataset and model pickers shared by every page; returns (dataset, model name)."""
    with st.sidebar:
        st.header("Data and model")
        ds = st.selectbox("Dataset", DATASETS, format_func=DATASET_LABELS.get, key=KEY_DATASET)
        names = [s.name for s in ladder.SPECS]
        default = names.index("vae-kl-1")
        name = st.selectbox(
            "Model",
            names,
            index=default,
            key=KEY_MODEL,
            format_func=lambda n: ladder.spec_by_name(n).label,
            help="The shipped ladder: an AE, VAEs with the KL term at five weights β "
            "(β = 0 switches the KL off), and a VAE with the simple regulariser.",
        )
    return ds, name


def load_or_stop(dataset_name: str, model_name: str) -> tuple[VAE, dict]:
    """The cached model, or a clear message and a stopped page if its checkpoint is unusable."""
    try:
        return model(dataset_name, model_name)
    except checkpoints.CheckpointError as e:
        st.error(f"This model cannot be loaded. {e}")
        st.stop()


def codes_csv(mu: np.ndarray, sigma: np.ndarray, labels: np.ndarray) -> str:
    """The latent codes as CSV text: index, label, mu1, mu2, sigma1, sigma2."""
    rows = ["index,label,mu1,mu2,sigma1,sigma2"]
    rows += [
        f"{i},{y},{m[0]:.6g},{m[1]:.6g},{s[0]:.6g},{s[1]:.6g}"
        for i, (y, m, s) in enumerate(zip(labels, mu, sigma, strict=True))
    ]
    return "\n".join(rows) + "\n"

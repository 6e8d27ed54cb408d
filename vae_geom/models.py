"""The AE and the VAE: one MLP encoder -> (mu, logvar), one MLP decoder -> Bernoulli logits.

The AE is the same network with sigma == 0 (logvar = -inf): its code is a point z = mu(x).
The VAE's code is an area: z = mu(x) + eps * sigma(x), eps ~ N(0, I) (Kingma & Welling, 2014).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

KINDS = ("vae", "ae")  # areas first: the VAE is what the app is about; the AE its contrast
# What a model from outside may ask for (checked by vae_geom.checkpoints before anything is built):
MAX_HIDDEN_LAYERS = 4  # the ladder has 2; a deeper MLP only makes loading slow
MAX_WIDTH = 1024  # units per hidden layer: 4x the ladder's widest
LOGVAR_RANGE = (-30.0, 10.0)  # sigma from 3e-7 to 148: exp(logvar) and the ellipses stay finite


@dataclass(frozen=True)
class ModelConfig:
    input_dim: int  # pixels per image (784 for 28x28)
    hidden: tuple[int, ...] = (256, 128)  # encoder widths; the decoder mirrors them
    latent_dim: int = 2  # 2 so that every posterior can be drawn as an ellipse
    kind: str = "vae"  # "ae" (points) or "vae" (areas)
    logvar_min: float = -12.0  # sigma >= 0.0025: keeps exp(logvar) and log(sigma) finite
    logvar_max: float = 6.0  # sigma <= 20: a posterior wider than the whole plot means nothing

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))

    def to_dict(self) -> dict:
        return {**asdict(self), "hidden": list(self.hidden)}


def mlp(sizes: list[int]) -> nn.Sequential:
    """Linear layers with ReLU between them (none after the last)."""
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-1], sizes[1:], strict=True):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


class VAE(nn.Module):
    """encode -> (mu, logvar); reparameterize -> z; decode -> logits. An AE when kind == "ae"."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        h = list(config.hidden)
        self.encoder = mlp([config.input_dim, *h])
        self.to_mu = nn.Linear(h[-1], config.latent_dim)
        self.to_logvar = nn.Linear(h[-1], config.latent_dim)
        self.decoder = mlp([config.latent_dim, *reversed(h), config.input_dim])

    @property
    def is_ae(self) -> bool:
        return self.config.kind == "ae"

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = torch.relu(self.encoder(x))  # (B, H)
        mu = self.to_mu(h)  # (B, 2)
        if self.is_ae:  # a point: sigma = exp(logvar / 2) = 0 exactly
            return mu, torch.full_like(mu, float("-inf"))
        logvar = self.to_logvar(h).clamp(self.config.logvar_min, self.config.logvar_max)
        return mu, logvar  # (B, 2), (B, 2)

    def reparameterize(
        self, mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        # z = mu + eps * sigma: a point of the unit circle moved and stretched into the ellipse
        eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype, device=mu.device)
        return mu + eps * torch.exp(0.5 * logvar)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)  # (B, D) logits of Bernoulli pixels

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None):
        mu, logvar = self.encode(x)
        z = self.reparameterize(mu, logvar, generator)
        return self.decode(z), mu, logvar


def make_model(config: ModelConfig, seed: int = 0) -> VAE:
    """A fresh model whose initial weights depend only on `seed` (the global RNG is left alone)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return VAE(config)


@torch.inference_mode()
def posteriors(model: VAE, x, batch: int = 4096):
    """Numpy (mu, sigma), each of shape (n, 2), for data x of shape (n, D)."""

    mus, sigmas = [], []
    for i in range(0, len(x), batch):
        mu, logvar = model.encode(torch.as_tensor(x[i : i + batch]))
        mus.append(mu.numpy())
        sigmas.append(torch.exp(0.5 * logvar).numpy())
    if not mus:
        return np.zeros((0, model.config.latent_dim), np.float32), np.zeros((0, 2), np.float32)
    return np.concatenate(mus), np.concatenate(sigmas)


@torch.inference_mode()
def decode_images(model: VAE, z) -> np.ndarray:
    """Decoded pixel probabilities, float32 of shape (n, D), for latent points z of shape (n, 2)."""
    z = torch.as_tensor(z, dtype=torch.float32).reshape(-1, model.config.latent_dim)
    return torch.sigmoid(model.decode(z)).numpy()

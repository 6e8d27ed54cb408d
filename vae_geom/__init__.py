"""vae-geom: the geometry of a Variational Autoencoder, made visible.

The core package (everything but `vae_geom.ui`) is free of Streamlit, so it can be tested,
scripted and benchmarked on its own:

    data         offline datasets -> float32 arrays in [0, 1]
    models       the AE / VAE networks (encode -> (mu, logvar), reparameterize, decode)
    objectives   Bernoulli reconstruction, closed-form KL, the simple regulariser
    training     fit(model, x, config, on_epoch=...) -> History
    geometry     numpy: ellipse outlines, coverage of the prior, aggregate posterior, holes
    checkpoints  safetensors weights + JSON config; clear errors on a bad file
    ladder       the shipped model ladder: specs, evaluation, retraining
    figures      plotly figure builders
"""

__version__ = "0.1.0"

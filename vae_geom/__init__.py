"""vae-geom: the geometry of a Variational Autoencoder, made visible.

The core package (everything but `vae_geom.ui`) is free of Streamlit, so it can be tested,
scripted and benchmarked on its own:

    data         offline datasets -> float32 arrays in [0, 1]
    models       the AE / VAE networks (encode -> (mu, logvar), reparameterize, decode)
    objectives   Bernoulli reconstruction, closed-form KL, the simple regulariser
    training     fit(model, x, config, on_epoch=...) -> History; train_one and the one
                 model_record of a trained model (config, epochs run, times, test figures)
    geometry     numpy: ellipse outlines, coverage of the prior, aggregate posterior, holes
    checkpoints  safetensors weights + JSON config; clear errors on a bad file
    ladder       the shipped model ladder: its specs and retraining
    probe        what the plane says at a clicked z: decoded image, covering posteriors, blend
    tiles        images for the browser: tiled into a mosaic, upscaled with crisp pixels
    penalties    the two regularisers as functions of (mu, sigma), for the Regularisers page
    shapes       measures that tell scattered / line / ring / disc code spaces apart
    generate     prior samples, manifold grids, linear paths, the reparameterised draws
    figures/     plotly figure builders, one module per page's idea around the shared `plane`
    zips         the one reader of untrusted zips (directory checks, members) and the upload cap
    user_models  models users train or upload, saved beside the app
    uploads      users' own data (.npz, .csv, .zip of images), validated

    ui/          a package, still the ONE Streamlit seam: loaders (cached models), sidebar,
                 widgets, decoded (click on the plane -> decoded z), train (Train your own)
"""

__version__ = "0.1.0"

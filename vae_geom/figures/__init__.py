"""Plotly figure builders: numpy arrays in, `go.Figure` out. Never Streamlit.

One module per page's idea, around one shared plane, so a figure is found by one rule: the page's
idea -> `figures/<idea>.py`.

    plane      the latent plane every page draws on: colours, the prior's circles, posteriors as
               ellipses, fixed 1:1 axes, the click-anywhere settings, and the primitives the other
               modules draw with (circle, points, cells, the one "hole" colour)
    coverage   KL and coverage: coverage against beta, rate-distortion, q(z) beside p(z), holes,
               the ladder's animation
    reparam    Reparameterisation: eps draws before and after z = mu + eps * sigma
    penalties  Regularisers: the two penalties over (mu, sigma), the comparison table's columns
    shapes     Code space shapes: point sets over the prior, whitened codes and gap cells
    generate   Generate and interpolate: prior samples, the manifold grid, a path
    judge      Points vs ellipses: the judged classes of prior samples, example decodes, the pick

The package imports nothing itself: `from vae_geom.figures import plane` loads only what a page
needs (the Explorer draws its first frame before torch is imported).
"""

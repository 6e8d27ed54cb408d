"""The Generate page's colours for the z it decodes on the plane (vae_geom/ui/plane.py draws them).

The page's planes are the browser's component since issue 14; its figures of prior samples, the
manifold grid and the A -> B path are marks on that plane, coloured here so a hole looks the same
on every page.
"""

from __future__ import annotations

from vae_geom.figures.plane import HOLE

OUTSIDE = "#ff7f0e"  # orange: a z beyond the prior's 2-sigma circle

__all__ = ["HOLE", "OUTSIDE"]

"""A page that fails unexpectedly, to check what the served config lets a student see."""

raise RuntimeError("secret detail: /srv/vae-geom/internal/path")

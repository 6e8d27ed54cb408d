"""The ui seam: the ONE package of vae_geom that imports Streamlit. Pages use it as
`from vae_geom import ui` and call `ui.sidebar()`, `ui.load_or_stop(...)` and so on.

    loaders   cached datasets, models and posteriors; load_or_stop / ladder_or_stop guards
    sidebar   the shared sidebar, the link's query parameters, page links, model names
    widgets   sections, kept widget values, codes download, coverage metrics, ladder slider
    lesson    the Lesson page: one step of vae_geom.lesson, its figure and its prediction
    plane     the latent plane component: decodes under the pointer in the browser, pins z
    decoded   the click callback, the plotly click listener and the server's views of a z
    judged    the judge of decoded images: a dataset's judge, a model's judged figures, the view
    train     Train your own: upload, live training (queued for a slot), replay, save, upload
    owner     the student's private key in their link (?me=), whose models are theirs
    literal   outside text shown as plain text, never rendered as Markdown
    inbound   the bound on what one websocket message may make the server do

Models are cached once per process in a least-recently-used cache of at most MODEL_CACHE_BYTES of
weights (shared by every session, so used read-only in eval mode), whose entries double as the
last-good copies; encoded arrays are cached with `st.cache_data`, keyed by the checkpoint's path.
"""

from __future__ import annotations

from vae_geom.ui.decoded import decoded_pair, decoded_view, pinned_readout
from vae_geom.ui.judged import (
    ae_codes_note,
    judge_or_none,
    judged_prior,
    pick_note,
    recognised_sample,
)
from vae_geom.ui.judged import worst_z as judge_worst_z
from vae_geom.ui.lesson import render as lesson_page
from vae_geom.ui.literal import literal
from vae_geom.ui.loaders import (
    dataset,
    ladder_or_stop,
    load_or_stop,
    sample_posteriors,
    samples,
)
from vae_geom.ui.plane import latent_plane
from vae_geom.ui.sidebar import (
    DATASET_LABELS,
    model_label,
    sidebar,
)
from vae_geom.ui.train import (
    KEY_RESULT,
    checkpoint_upload,
    replay_view,
    save_panel,
    train_live,
    uploaded_dataset,
)
from vae_geom.ui.widgets import (
    COVERAGE_HELP,
    codes_download,
    coverage_metrics,
    keep_widgets,
    ladder_animation,
    ladder_slider,
    sections,
)

__all__ = [
    "COVERAGE_HELP",
    "DATASET_LABELS",
    "KEY_RESULT",
    "checkpoint_upload",
    "codes_download",
    "coverage_metrics",
    "dataset",
    "decoded_pair",
    "decoded_view",
    "pinned_readout",
    "judge_or_none",
    "judge_worst_z",
    "judged_prior",
    "latent_plane",
    "lesson_page",
    "keep_widgets",
    "ladder_animation",
    "ladder_or_stop",
    "ladder_slider",
    "literal",
    "load_or_stop",
    "model_label",
    "pick_note",
    "ae_codes_note",
    "recognised_sample",
    "replay_view",
    "sample_posteriors",
    "samples",
    "save_panel",
    "sections",
    "sidebar",
    "train_live",
    "uploaded_dataset",
]

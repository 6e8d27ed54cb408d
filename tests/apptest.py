"""One way to run a page under AppTest: set what a user would, pick dataset and model, no exception.

AppTest cannot click a chart, so a click is simulated by putting the clicked z (or any widget value)
into `state` before the first run.
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def run_page(
    path: str,
    dataset: str | None = None,
    model: str | None = None,
    state: dict | None = None,
    query: dict | None = None,
    timeout: float = 60,
) -> AppTest:
    at = AppTest.from_file(path, default_timeout=timeout)
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.query_params.update(query or {})
    at.run()
    if dataset:
        at.selectbox(key="sidebar.dataset").set_value(dataset).run()
    if model:
        at.selectbox(key="sidebar.model").set_value(model).run()
    assert not at.exception, at.exception
    return at

"""The GUI start-up benchmark measures what it claims: the real start's first paint with
all 200 rows drawn, the tray and the single-instance server running, and it fails a run
whose first frame has fewer rows (here: an app whose index is empty)."""

from __future__ import annotations

import pytest

from tests.bench import gui_startup

pytestmark = pytest.mark.gui


def test_one_round_measures_the_real_start() -> None:
    samples = gui_startup.measure(1)
    assert set(samples) == {gui_startup.FLOOR, gui_startup.APP}
    for label, (sample,) in samples.items():
        assert sample.rows == gui_startup.ENTRIES, label
        assert 0 < sample.paint_s < gui_startup.TIMEOUT_S and sample.rss_kib > 0, label
    app = samples[gui_startup.APP][0].report
    assert app["tray"] is True and app["single_instance"] is True


def test_an_app_that_draws_no_rows_fails_the_run() -> None:
    with pytest.raises(gui_startup.BenchFailed, match="drew 0 rows, not 200"):
        gui_startup.measure(1, index_entries=0)

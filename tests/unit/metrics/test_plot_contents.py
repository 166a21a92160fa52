"""The charts: axes labelled with units, and a "no data" note instead of a crash on an empty run."""

import pytest

from defi_int.metrics.plots import (
    deviation_figure,
    inventory_figure,
    markouts_figure,
    pnl_figure,
    prices_figure,
)

FIGURES = [inventory_figure, prices_figure, pnl_figure, markouts_figure, deviation_figure]


def _texts(figure):
    return [text.get_text() for axes in figure.axes for text in axes.texts]


@pytest.mark.parametrize("draw", FIGURES)
def test_an_empty_run_draws_a_no_data_note(empty_result, draw):
    assert "no data" in _texts(draw(empty_result))


@pytest.mark.parametrize("draw", FIGURES)
def test_the_sample_run_draws_data_with_labelled_axes(sample_result, draw):
    figure = draw(sample_result)
    assert "no data" not in _texts(figure)
    for axes in figure.axes:
        assert axes.get_ylabel()
    assert any("(" in axes.get_xlabel() for axes in figure.axes)


def test_fills_are_drawn_as_markers_by_venue(sample_result):
    axes = prices_figure(sample_result).axes[0]
    labels = [collection.get_label() for collection in axes.collections]
    assert labels == ["internal fills", "amm fills"]

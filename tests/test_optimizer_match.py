"""TopologyOptimizer.match (SPEC §5, §10.1): needs the Wasserstein matching of the distances module."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

pytest.importorskip("oineus_diff.distances", reason="distances land with issue 5")

import oineus_diff as od  # noqa: E402


@pytest.fixture
def opt():
    f = torch.tensor([0.0, 3.0, 1.0, 2.0, 0.5, 4.0], dtype=torch.float64)
    return od.TopologyOptimizer(od.freudenthal_filtration(f))


@pytest.mark.parametrize("template", [[(0, 2.5)], np.array([[0.0, 2.5]]), torch.tensor([[0.0, 2.5]])])
@pytest.mark.parametrize("internal_p", [math.inf, -1])
def test_match_micro_example(opt, template, internal_p):
    iv, distance = opt.match(
        template, 0, wasserstein_q=1.0, internal_p=internal_p, return_wasserstein_distance=True
    )
    assert iv.indices.tolist() == [1, 9, 2, 7]
    assert iv.values.tolist() == [0.0, 2.5, 1.5, 1.5]
    assert distance == pytest.approx(1.0, rel=0.01)


def test_match_without_distance_returns_indices_values(opt):
    iv = opt.match([(0, 2.5)], 0)
    assert isinstance(iv, od.IndicesValues)


def test_match_to_an_empty_template_sends_everything_to_the_diagonal(opt):
    iv = opt.match(np.zeros((0, 2)), 0)
    assert iv.indices.tolist() == [1, 9, 2, 7]
    assert iv.values.tolist() == [1.75, 1.75, 1.5, 1.5]


@pytest.mark.parametrize("template", [[(0, math.inf)], [(-math.inf, 1.0)], [(math.nan, 1.0)]])
def test_match_rejects_infinite_template_points(opt, template):
    with pytest.raises(ValueError, match="template_dgm"):
        opt.match(template, 0)


@pytest.mark.parametrize(
    "kwargs,name",
    [
        ({"wasserstein_q": 0.5}, "wasserstein_q"),
        ({"wasserstein_delta": -1.0}, "wasserstein_delta"),
        ({"internal_p": 0.5}, "internal_p"),
    ],
)
def test_match_validates_parameters(opt, kwargs, name):
    with pytest.raises(ValueError, match=name):
        opt.match([(0, 2.5)], 0, **kwargs)


def test_match_rejects_a_badly_shaped_template(opt):
    with pytest.raises(ValueError, match="template_dgm"):
        opt.match([1.0, 2.0, 3.0], 0)

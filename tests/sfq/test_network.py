from __future__ import annotations

import numpy as np
import pytest

from qneuro.sfq import NetworkSpec, Projection, Soma, simulate, xor_network
from qneuro.sfq.cells import DCSFQSource, Splitter
from qneuro.sfq.units import Ghertz, psecond, uamp

from .helpers import chain


def _proj(shape, bias=120.0, sign=1):
    return Projection(np.full(shape, bias) * uamp, np.full(shape, sign))


def test_xor_jj_count_by_hand():
    counts = xor_network().jj_counts()
    # 2 DC/SFQ x 3; 2 input splitters x 3; 6 links x (JTL 2 + synapse 3);
    # 1 output merger x 7; 3 somas x 6
    assert counts == {
        "sources": 6,
        "splitters": 6,
        "jtl": 12,
        "synapses": 18,
        "mergers": 7,
        "somas": 18,
    }
    assert xor_network().jj_count == 67


def test_splitter_tree():
    assert Splitter.tree(1) == (0, 0)
    assert Splitter.tree(2) == (1, 1)
    assert Splitter.tree(5) == (4, 3)


def test_deeper_network_runs_and_counts():
    spec = NetworkSpec(
        (2, 3, 3, 1),
        (_proj((2, 3), 200.0), _proj((3, 3), 200.0), _proj((3, 1), 200.0)),
        somas=Soma(threshold=1, refractory=0 * psecond),
    )
    sim = simulate(spec, np.full((3, 2), 5.0) * Ghertz, 1000 * psecond, seed=0)
    assert [c.shape for c in sim.counts] == [(3, 2), (3, 3), (3, 3), (3, 1)]
    assert np.all(sim.counts[3] > 0)
    assert np.all(sim.energy > 0)


def test_batched_copies_match_separate_runs_statistically():
    """Copies are independent: per-copy rates of a batch match one-copy runs on average."""
    spec = xor_network()
    rates = np.tile([[20.0, 2.0]], (60, 1)) * Ghertz
    batched = simulate(spec, rates, 1000 * psecond, seed=5).rates()[:, 0] / Ghertz
    single = [
        float(simulate(spec, rates[:1], 1000 * psecond, seed=100 + k).rates()[0, 0] / Ghertz)
        for k in range(6)
    ]
    assert abs(np.mean(batched) - np.mean(single)) < 0.5
    assert np.std(batched) > 0 or np.std(single) == 0


def test_poisson_source_rate():
    spec = chain(Soma(threshold=1, refractory=0 * psecond))
    spec = NetworkSpec(
        spec.layer_sizes, spec.projections, somas=spec.somas, source=DCSFQSource(kind="poisson")
    )
    sim = simulate(spec, np.full((100, 1), 10.0) * Ghertz, 1000 * psecond, seed=2)
    # 100 copies x 1000 steps x p = 0.01: 1000 +- 3 sigma (31.5)
    assert abs(sim.counts[0].sum() - 1000) < 95


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: NetworkSpec((2, 2), (_proj((2, 3)),)), "sizes"),
        (lambda: NetworkSpec((2, 2, 1), (_proj((2, 2)),)), "projections"),
        (lambda: NetworkSpec((2,), ()), "input layer"),
        (lambda: NetworkSpec((2, 0), (_proj((2, 0)),)), "integer >= 1"),
        (lambda: NetworkSpec((1, 1), (_proj((1, 1), bias=250.0),)), "outside the range"),
        (lambda: NetworkSpec((1, 1), (_proj((1, 1), bias=-5.0),)), "outside the range"),
        (lambda: NetworkSpec((1, 1), (_proj((1, 1), sign=2),)), "sign"),
        (lambda: NetworkSpec((1, 1), (_proj((1, 1)),), somas=(Soma(), Soma())), "somas"),
        (lambda: Projection(np.ones((2, 2)) * uamp, np.ones((2, 3))), "shape"),
        (lambda: Projection(np.ones((2, 2)), np.ones((2, 2))), "no unit"),
    ],
)
def test_bad_specs_raise(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"input_rates": np.array([[-1.0, 2.0]]) * Ghertz}, ">= 0"),
        ({"input_rates": np.array([[2000.0, 2.0]]) * Ghertz}, "one pulse per time step"),
        ({"input_rates": np.array([[2.0, 2.0, 2.0]]) * Ghertz}, "copies, 2"),
        ({"input_rates": np.array([[2.0, 2.0]])}, "no unit"),
        ({"input_rates": np.array([[2.0, 2.0]]) * Ghertz, "target": "fortran"}, "target"),
        ({"input_rates": np.array([[2.0, 2.0]]) * Ghertz, "duration": -1 * psecond}, "duration"),
        ({"input_rates": np.array([[2.0, 2.0]]) * Ghertz, "bias": [None]}, "per projection"),
    ],
)
def test_bad_run_arguments_raise(kwargs, match):
    kwargs.setdefault("duration", 100 * psecond)
    with pytest.raises(ValueError, match=match):
        simulate(xor_network(), **kwargs)


def test_no_global_brian2_preference_changed():
    import brian2

    before = brian2.prefs.codegen.target
    simulate(xor_network(), np.array([[2.0, 20.0]]) * Ghertz, 100 * psecond)
    assert brian2.prefs.codegen.target == before

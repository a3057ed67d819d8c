"""Feed-forward SFQ networks from a compact spec, run as many independent copies at once.

A :class:`NetworkSpec` lists layer sizes (the first layer is the inputs), one
:class:`Projection` per pair of consecutive layers (a bias current and a sign per
connection; sign 0 means no connection), the soma of each layer, and the cells that
carry pulses. :func:`simulate` builds it into ONE brian2 ``Network`` holding ``copies``
independent replicas (each brian2 group is sized ``copies x cells``) and runs them all
in one ``run()``: the trial batching of the design note, so thousands of trials of
several input patterns cost one run.

Pulse path of a connection from neuron ``i`` of layer ``l`` to soma ``j`` of layer
``l + 1``::

    source/soma i --(its delay)--> splitter tree (fan-out of i) --> JTL stage
        --> stochastic synapse p(Ib_ij) --> merger tree of j's excitatory or inhibitory
        port (fan-in of that port) --> soma j

Timing (all delays are rounded to the time step ``dt``): an input pulse enters at its
DC-to-SFQ step; a soma or merger emits its output pulse one step after the input that
triggered it and the output travels its remaining ``delay - dt``; splitters, the JTL and
the synapse add their delays; the synapse decides pass/block when the pulse reaches it
(the brian2 event at the end of its path), with probability ``p(Ib)`` of the synapse
curve. Mergers lose pulses within their dead time (:class:`~qneuro.sfq.cells.Merger`),
somas lose pulses within their refractory time (:class:`~qneuro.sfq.soma.Soma`).

Energy: every counted event switches junctions (``Ic * Phi0`` each): a source pulse
switches the source; a pulse fanned out to ``k`` lines switches the ``k - 1`` splitters
and ``k`` JTL stages; a synapse switches all its junctions when it passes a pulse and one
when it blocks; a merger all of its junctions per passed pulse and one per lost pulse;
a soma one per arriving pulse and all of its junctions when it fires.

Randomness: ``seed`` seeds numpy (input trains) and brian2's ``seed()`` (the synapse
draws); the same seed and codegen target give the same result.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from brian2 import Quantity

from qneuro import checks

from .cells import JTL, DCSFQSource, Merger, Splitter, merger_group
from .codegen import CODEGEN_TARGETS, code_object_class
from .constants import DEFAULT_DT
from .soma import Soma, soma_group
from .synapse import StochasticSynapse
from .units import Ghertz, amp, check_quantity, joule, psecond, second, uamp

__all__ = ["Projection", "NetworkSpec", "Simulation", "simulate", "CODEGEN_TARGETS"]


@dataclass(frozen=True, eq=False)
class Projection:
    """Connections from one layer to the next.

    Args:
        bias: bias currents, shape ``(n_pre, n_post)`` (the weights; entries where
            ``sign == 0`` are ignored).
        sign: integers in ``{-1, 0, +1}`` of the same shape: inhibitory, none, excitatory.
    """

    bias: Quantity
    sign: np.ndarray

    def __post_init__(self) -> None:
        bias = check_quantity(self.bias, uamp, "Projection.bias", allow_array=True)
        sign = np.asarray(self.sign)
        if bias.ndim != 2:
            raise ValueError(f"Projection.bias must be 2-d (n_pre, n_post), got shape {bias.shape}")
        if sign.shape != bias.shape:
            raise ValueError(
                f"Projection.sign has shape {sign.shape}, bias has shape {bias.shape}; "
                "they must match"
            )
        if not np.all(np.isin(sign, (-1, 0, 1))):
            raise ValueError(f"Projection.sign entries must be -1, 0 or +1, got {np.unique(sign)}")
        object.__setattr__(self, "bias", bias)
        object.__setattr__(self, "sign", sign.astype(np.int64))

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_pre, n_post)``."""
        return self.sign.shape


@dataclass(frozen=True, eq=False)
class NetworkSpec:
    """A feed-forward SFQ network.

    Args:
        layer_sizes: neurons per layer; the first layer is the input sources.
        projections: ``len(layer_sizes) - 1`` projections, projection ``l`` of shape
            ``(layer_sizes[l], layer_sizes[l + 1])``.
        somas: one :class:`Soma` for every non-input layer, or one for all of them.
        synapse: the synapse cell (its p(Ib) curve, delay, junctions).
        merger, splitter, jtl: the interconnect cells.
        source: the input pulse sources (DC-to-SFQ converters).
    """

    layer_sizes: tuple[int, ...]
    projections: tuple[Projection, ...]
    somas: tuple[Soma, ...] | Soma = field(default_factory=Soma)
    synapse: StochasticSynapse = field(default_factory=StochasticSynapse)
    merger: Merger = field(default_factory=Merger)
    splitter: Splitter = field(default_factory=Splitter)
    jtl: JTL = field(default_factory=JTL)
    source: DCSFQSource = field(default_factory=DCSFQSource)

    def __post_init__(self) -> None:
        sizes = tuple(self.layer_sizes)
        if len(sizes) < 2:
            raise ValueError(f"layer_sizes={sizes} needs an input layer and at least one more")
        for size in sizes:
            if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 1:
                raise ValueError(f"layer_sizes={sizes}: every size must be an integer >= 1")
        object.__setattr__(self, "layer_sizes", tuple(int(s) for s in sizes))
        projections = tuple(self.projections)
        if len(projections) != len(sizes) - 1:
            raise ValueError(
                f"{len(projections)} projections given for {len(sizes)} layers; need "
                f"{len(sizes) - 1}"
            )
        for index, projection in enumerate(projections):
            if not isinstance(projection, Projection):
                raise ValueError(f"projections[{index}] must be a Projection")
            want = (sizes[index], sizes[index + 1])
            if projection.shape != want:
                raise ValueError(
                    f"projections[{index}] has shape {projection.shape}, but layers {index} "
                    f"and {index + 1} have sizes {want}"
                )
            used = projection.sign != 0
            if np.any(used):
                # raises ValueError for a bias outside the synapse curve's domain
                self.synapse.probability(projection.bias[used])
        object.__setattr__(self, "projections", projections)
        somas = self.somas
        if isinstance(somas, Soma):
            somas = (somas,) * (len(sizes) - 1)
        somas = tuple(somas)
        if len(somas) != len(sizes) - 1 or not all(isinstance(s, Soma) for s in somas):
            raise ValueError(
                f"somas must be one Soma or {len(sizes) - 1} of them (one per non-input layer)"
            )
        object.__setattr__(self, "somas", somas)

    # -- structure ------------------------------------------------------------------

    def fan_out(self, layer: int) -> np.ndarray:
        """Connections leaving each neuron of ``layer`` (zeros for the output layer)."""
        if layer == len(self.layer_sizes) - 1:
            return np.zeros(self.layer_sizes[layer], dtype=np.int64)
        return np.count_nonzero(self.projections[layer].sign, axis=1)

    def fan_in(self, layer: int, sign: int) -> np.ndarray:
        """Connections of ``sign`` (+1 or -1) entering each soma of ``layer`` (>= 1)."""
        return np.count_nonzero(self.projections[layer - 1].sign == sign, axis=0)

    def jj_counts(self) -> dict[str, int]:
        """Josephson junctions of one copy of the network, by cell kind."""
        sources = self.layer_sizes[0] * self.source.jj_count
        splitters = sum(
            int(np.maximum(self.fan_out(layer) - 1, 0).sum())
            for layer in range(len(self.layer_sizes) - 1)
        )
        links = sum(int(np.count_nonzero(p.sign)) for p in self.projections)
        mergers = sum(
            int(np.maximum(self.fan_in(layer, sign) - 1, 0).sum())
            for layer in range(1, len(self.layer_sizes))
            for sign in (1, -1)
        )
        somas = sum(
            size * soma.jj_count
            for size, soma in zip(self.layer_sizes[1:], self.somas, strict=True)
        )
        return {
            "sources": sources,
            "splitters": splitters * self.splitter.jj_count,
            "jtl": links * self.jtl.jj_count,
            "synapses": links * self.synapse.jj_count,
            "mergers": mergers * self.merger.jj_count,
            "somas": somas,
        }

    @property
    def jj_count(self) -> int:
        """Total Josephson junctions of one copy of the network."""
        return int(sum(self.jj_counts().values()))

    def nominal_latency(self) -> Quantity:
        """Delay of the longest input-to-output path with no waiting for threshold.

        The sum, along the slowest path, of source, splitter-tree, JTL, synapse,
        merger-tree and soma delays: the earliest an output pulse can follow an input
        pulse when every soma on the path fires on that pulse.
        """
        latency = np.full(self.layer_sizes[0], float(self.source.delay))
        for layer, projection in enumerate(self.projections):
            split_depth = np.array([Splitter.tree(max(k, 1))[1] for k in self.fan_out(layer)])
            out = latency + split_depth * float(self.splitter.delay)
            out = out + float(self.jtl.delay) + float(self.synapse.delay)
            arrive = np.full(projection.shape[1], -np.inf)
            for j in range(projection.shape[1]):
                for sign in (1, -1):
                    pre = np.flatnonzero(projection.sign[:, j] == sign)
                    if pre.size:
                        depth = int(np.ceil(np.log2(pre.size))) if pre.size > 1 else 0
                        arrive[j] = max(
                            arrive[j], out[pre].max() + depth * float(self.merger.delay)
                        )
            latency = arrive + float(self.somas[layer].delay)
        return float(latency.max()) * second


@dataclass
class Simulation:
    """What one batched run produced. Arrays are indexed by copy first.

    Attributes:
        spec: the simulated network.
        copies: independent replicas run together.
        duration: simulated time of each copy.
        dt: time step.
        counts: per layer, pulses emitted, shape ``(copies, layer_size)`` (layer 0: the
            input sources).
        first_pulse: per non-input layer, the time each soma's first output pulse leaves
            it (its brian2 spike step plus ``delay - dt``; NaN when it never fired),
            shape ``(copies, layer_size)``.
        synapse_passed, synapse_blocked: pulses passed / blocked by all synapses of a
            copy, shape ``(copies,)``.
        merger_passed, merger_lost: the same for all mergers.
        soma_arrived, soma_lost: pulses reaching all somas / lost while refractory.
        energy: switching energy dissipated by each copy (joule), shape ``(copies,)``.
        spikes: with ``record``, per layer a tuple ``(copy, neuron, time)`` of arrays.
        probabilities: per projection, the pass probability of each connection,
            shape ``(copies, n_pre, n_post)``.
    """

    spec: NetworkSpec
    copies: int
    duration: Quantity
    dt: Quantity
    counts: list[np.ndarray]
    first_pulse: list[Quantity]
    synapse_passed: np.ndarray
    synapse_blocked: np.ndarray
    merger_passed: np.ndarray
    merger_lost: np.ndarray
    soma_arrived: np.ndarray
    soma_lost: np.ndarray
    energy: Quantity
    probabilities: list[np.ndarray]
    spikes: list[tuple[np.ndarray, np.ndarray, Quantity]] | None = None

    def rates(self, layer: int = -1) -> Quantity:
        """Output rates of ``layer`` (default: the output layer), shape ``(copies, size)``."""
        return self.counts[layer] / self.duration


class _DropOrderWarning(logging.Filter):
    """Hide brian2's warning that ``rand()`` in a synapse makes draw order matter.

    Each synapse draws its own independent number; which pulse draws first does not
    change the distribution, so the warning does not apply to these models.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return "may not be well-defined" not in record.getMessage()


@contextlib.contextmanager
def _quiet_order_warning():
    logger = logging.getLogger("brian2.codegen.generators.base")
    flt = _DropOrderWarning()
    logger.addFilter(flt)
    try:
        yield
    finally:
        logger.removeFilter(flt)


def _round_steps(delay_s: np.ndarray | float, dt_s: float) -> np.ndarray:
    return np.maximum(np.round(np.asarray(delay_s) / dt_s), 0.0) * dt_s


def _merger_tree(items: list, next_node) -> tuple[list, list, object]:
    """Pair ``items`` into a balanced tree of 2-input mergers.

    Returns ``(leaf_edges, node_edges, root)``: ``leaf_edges`` maps an input item to the
    merger it feeds, ``node_edges`` merger -> merger, and ``root`` is the item (an input
    or a merger id) that reaches the soma.
    """
    leaf_edges, node_edges = [], []
    level = [("in", item) for item in items]
    while len(level) > 1:
        nxt = []
        for k in range(0, len(level) - 1, 2):
            node = next_node()
            for kind, value in level[k : k + 2]:
                (leaf_edges if kind == "in" else node_edges).append((value, node))
            nxt.append(("node", node))
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return leaf_edges, node_edges, level[0]


def simulate(
    spec: NetworkSpec,
    input_rates: Quantity | None = None,
    duration: Quantity = 2000 * psecond,
    *,
    input_steps: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    copies: int | None = None,
    bias: Sequence[Quantity | None] | None = None,
    dt: Quantity = DEFAULT_DT,
    seed: int = 0,
    target: str = "numpy",
    record: bool = False,
    progress: bool = False,
) -> Simulation:
    """Run ``copies`` independent copies of ``spec`` in one brian2 run.

    Args:
        spec: the network.
        input_rates: input rates, shape ``(copies, n_inputs)`` (Hz dimension, each in
            ``[0, 1/dt]``); the trains come from ``spec.source``.
        duration: simulated time (every copy starts at 0 with empty loops).
        input_steps: instead of rates, explicit input pulses ``(copy, input, step)``
            (integer arrays; pulse at ``step * dt``); needs ``copies``.
        copies: number of copies (with ``input_steps``; otherwise from ``input_rates``).
        bias: per projection, None (use the spec's bias) or per-copy biases of shape
            ``(copies, n_pre, n_post)``: how sweeps put many settings in one run.
        dt: time step.
        seed: seeds the input trains and the synapses' random draws (through
            ``brian2.seed``, which also reseeds numpy's global RandomState); an
            integer in ``[0, 2**32)``.
        target: brian2 code generation target, ``"numpy"`` or ``"cython"`` (set per
            object; global brian2 preferences are left alone).
        record: keep every pulse time (for rasters; costs memory).
        progress: show a tqdm bar of simulated time.

    Returns:
        A :class:`Simulation`.

    Raises:
        ValueError: bad rates, shapes, biases outside the curve's domain, a bad target.
    """
    codeobj = code_object_class(target)
    checks.seed("seed", seed, limit=2**32)
    if not isinstance(spec, NetworkSpec):
        raise ValueError(f"spec must be a NetworkSpec, got {type(spec).__name__}")
    dt = check_quantity(dt, psecond, "dt", minimum=0, strict_minimum=True)
    duration = check_quantity(duration, psecond, "duration", minimum=0, strict_minimum=True)
    rng = np.random.default_rng(seed)
    copies, source, steps = _input_pulses(spec, input_rates, input_steps, copies, duration, dt, rng)
    probabilities = _probabilities(spec, bias, copies)
    layout = _Layout.of(spec, float(dt))
    groups = _build(spec, layout, probabilities, copies, source, steps, dt, codeobj, record)
    _run(groups.objects, duration, seed, progress)
    return _collect(spec, layout, groups, probabilities, copies, source, duration, dt)


@dataclass(frozen=True)
class _Link:
    """One stochastic synapse of the network (the same in every copy).

    Attributes:
        source: ``"input"`` or ``"soma"``; ``source_index`` the input number or the soma's
            index among all somas.
        layer: the projection it belongs to; ``pre``, ``post`` its row and column there.
        sign: +1 (to the soma's excitatory port) or -1 (inhibitory).
        delay_s: seconds from the source's emission to the synapse's decision (source
            delay, splitter tree, JTL stage, synapse).
    """

    source: str
    source_index: int
    layer: int
    pre: int
    post: int
    sign: int
    delay_s: float


@dataclass
class _Layout:
    """The wiring of one copy: somas of all layers in one group, links, merger trees."""

    soma_offsets: np.ndarray  # soma index of the first soma of layer l + 1
    soma_layer: np.ndarray  # per soma, its layer - 1
    links: list[_Link]
    link_target: dict[int, tuple[str, int]]  # link -> ("soma" | "merger", index)
    merger_edges: list[tuple[int, int]]  # merger -> merger
    root_edges: list[tuple[int, int, int]]  # merger -> (soma, sign)
    n_merger: int

    @property
    def n_soma(self) -> int:
        return int(self.soma_offsets[-1])

    @classmethod
    def of(cls, spec: NetworkSpec, dt_s: float) -> _Layout:
        sizes = spec.layer_sizes
        offsets = np.concatenate([[0], np.cumsum(sizes[1:])])
        layout = cls(offsets, np.repeat(np.arange(len(sizes) - 1), sizes[1:]), [], {}, [], [], 0)
        mergers = itertools.count()
        for layer, projection in enumerate(spec.projections):
            fan_out = spec.fan_out(layer)
            for j in range(projection.shape[1]):
                post = int(offsets[layer] + j)
                for sign in (1, -1):
                    ids = []
                    for i in np.flatnonzero(projection.sign[:, j] == sign):
                        if layer == 0:
                            emit, source = float(spec.source.delay), ("input", int(i))
                        else:
                            emit = float(spec.somas[layer - 1].delay) - dt_s
                            source = ("soma", int(offsets[layer - 1] + i))
                        depth = Splitter.tree(int(fan_out[i]))[1]
                        delay = (
                            emit
                            + depth * float(spec.splitter.delay)
                            + float(spec.jtl.delay)
                            + float(spec.synapse.delay)
                        )
                        layout.links.append(_Link(*source, layer, int(i), j, sign, delay))
                        ids.append(len(layout.links) - 1)
                    if ids:
                        layout._port(ids, post, sign, lambda: next(mergers))
        layout.n_merger = next(mergers)
        return layout

    def _port(self, ids: list[int], soma: int, sign: int, new_merger) -> None:
        """Feed the links ``ids`` into ``soma``'s port through a merger tree."""
        leaf_edges, node_edges, root = _merger_tree(ids, new_merger)
        for link, node in leaf_edges:
            self.link_target[link] = ("merger", node)
        self.merger_edges.extend(node_edges)
        if root[0] == "in":
            self.link_target[root[1]] = ("soma", soma)
        else:
            self.root_edges.append((root[1], soma, sign))


@dataclass
class _Groups:
    """The brian2 objects of a run."""

    inputs: object
    somas: object
    mergers: object | None
    synapses: list = field(default_factory=list)  # (Synapses, copy of each synapse)
    monitors: list = field(default_factory=list)
    objects: list = field(default_factory=list)


def _input_pulses(spec, input_rates, input_steps, copies, duration, dt, rng):
    """``(copies, source, steps)``: each input pulse's input (over all copies) and step."""
    n_in = spec.layer_sizes[0]
    if input_steps is not None:
        if input_rates is not None:
            raise ValueError("give input_rates or input_steps, not both")
        source, steps = _explicit_pulses(input_steps, copies, n_in)
    else:
        if input_rates is None:
            raise ValueError("give input_rates (copies, n_inputs) or input_steps")
        rates = check_quantity(input_rates, Ghertz, "input_rates", minimum=0, allow_array=True)
        if rates.ndim != 2 or rates.shape[1] != n_in:
            raise ValueError(
                f"input_rates has shape {rates.shape}; need (copies, {n_in}) for {n_in} inputs"
            )
        if copies is not None and copies != rates.shape[0]:
            raise ValueError(f"copies={copies} but input_rates has {rates.shape[0]} rows")
        copies = rates.shape[0]
        source, steps = spec.source.pulse_steps(rates.reshape(-1), duration, dt, rng)
    if copies < 1:
        raise ValueError("copies must be >= 1")
    if np.unique(source * (steps.max(initial=0) + 1) + steps).size != source.size:
        raise ValueError("input_steps has two pulses of one input in one time step")
    return copies, source, steps


def _explicit_pulses(input_steps, copies, n_in: int) -> tuple[np.ndarray, np.ndarray]:
    """``(source, steps)`` of ``input_steps = (copy, input, step)``, each checked."""
    if copies is None or copies < 1:
        raise ValueError("input_steps needs copies >= 1")
    copy_idx, input_idx, steps = (np.asarray(a, dtype=np.int64) for a in input_steps)
    if not copy_idx.shape == input_idx.shape == steps.shape:
        raise ValueError("input_steps: copy, input and step arrays must have one shape")
    if copy_idx.size and (
        copy_idx.min() < 0
        or copy_idx.max() >= copies
        or input_idx.min() < 0
        or input_idx.max() >= n_in
        or steps.min() < 0
    ):
        raise ValueError(
            f"input_steps out of range: copy in [0, {copies}), input in [0, {n_in}), step >= 0"
        )
    return copy_idx * n_in + input_idx, steps


def _probabilities(spec, bias, copies) -> list[np.ndarray]:
    """Per projection, the pass probability of each synapse in each copy."""
    if bias is None:
        bias = [None] * len(spec.projections)
    if len(bias) != len(spec.projections):
        raise ValueError(f"bias has {len(bias)} entries; need one per projection")
    probabilities = []
    for index, (projection, override) in enumerate(zip(spec.projections, bias, strict=True)):
        if override is None:
            values = np.broadcast_to(projection.bias, (copies, *projection.shape))
        else:
            values = check_quantity(override, uamp, f"bias[{index}]", allow_array=True)
            if values.shape != (copies, *projection.shape):
                raise ValueError(
                    f"bias[{index}] has shape {values.shape}; need {(copies, *projection.shape)}"
                )
        prob = np.zeros((copies, *projection.shape))
        used = np.broadcast_to(projection.sign != 0, prob.shape)
        prob[used] = spec.synapse.probability(np.asarray(values)[used] * amp)
        probabilities.append(prob)
    return probabilities


def _build(spec, layout, probabilities, copies, source, steps, dt, codeobj, record) -> _Groups:
    """The brian2 groups, synapses and monitors of ``copies`` copies of ``layout``."""
    import brian2 as b2

    common = {"dt": dt, "codeobj_class": codeobj}
    n_in, n_soma, n_merger = spec.layer_sizes[0], layout.n_soma, layout.n_merger
    inputs = b2.SpikeGeneratorGroup(copies * n_in, source, steps * dt, name="sfq_inputs*", **common)
    somas = soma_group(spec.somas, np.tile(layout.soma_layer, copies), dt, codeobj)
    mergers = merger_group(spec.merger, copies * n_merger, dt, codeobj) if n_merger else None
    groups = _Groups(inputs, somas, mergers)
    groups.objects += [inputs, somas] + ([mergers] if mergers is not None else [])
    copy_range = np.arange(copies)

    def tile(indices, size):  # one copy's indices -> every copy's
        return (copy_range[:, None] * size + np.asarray(indices)[None, :]).ravel()

    dt_s = float(dt)
    links = layout.links
    for src_kind, src_group, src_size in (("input", inputs, n_in), ("soma", somas, n_soma)):
        for tgt_kind, tgt_group, tgt_size in (
            ("soma", somas, n_soma),
            ("merger", mergers, n_merger),
        ):
            chosen = [
                k
                for k, link in enumerate(links)
                if link.source == src_kind and layout.link_target[k][0] == tgt_kind
            ]
            if not chosen:
                continue
            model, on_pre = spec.synapse.equations(tgt_kind)
            syn = b2.Synapses(
                src_group,
                tgt_group,
                model,
                on_pre=on_pre,
                name=f"sfq_{src_kind}_to_{tgt_kind}*",
                **common,
            )
            syn.connect(
                i=tile([links[k].source_index for k in chosen], src_size),
                j=tile([layout.link_target[k][1] for k in chosen], tgt_size),
            )
            syn.p = np.stack(
                [probabilities[links[k].layer][:, links[k].pre, links[k].post] for k in chosen],
                axis=1,
            ).ravel()
            if tgt_kind == "soma":
                syn.excite = np.tile([links[k].sign > 0 for k in chosen], copies).astype(float)
            delays = _round_steps([links[k].delay_s for k in chosen], dt_s)
            syn.delay = np.tile(delays, copies) * second
            groups.synapses.append((syn, np.repeat(copy_range, len(chosen))))
            groups.objects.append(syn)
    merger_delay = float(_round_steps(float(spec.merger.delay) - dt_s, dt_s)) * second
    if layout.merger_edges:
        a, b = np.array(layout.merger_edges).T
        syn = b2.Synapses(
            mergers, mergers, on_pre="arrivals_post += 1", name="sfq_merger_tree*", **common
        )
        syn.connect(i=tile(a, n_merger), j=tile(b, n_merger))
        syn.delay = merger_delay
        groups.objects.append(syn)
    if layout.root_edges:
        a, b, sign = np.array(layout.root_edges).T
        syn = b2.Synapses(
            mergers,
            somas,
            "excite : 1 (constant)",
            on_pre="exc_post += excite\ninh_post += 1 - excite",
            name="sfq_merger_to_soma*",
            **common,
        )
        syn.connect(i=tile(a, n_merger), j=tile(b, n_soma))
        syn.excite = np.tile((sign > 0).astype(float), copies)
        syn.delay = merger_delay
        groups.objects.append(syn)
    if record:
        groups.monitors = [
            b2.SpikeMonitor(inputs, codeobj_class=codeobj),
            b2.SpikeMonitor(somas, codeobj_class=codeobj),
        ]
        groups.objects.extend(groups.monitors)
    return groups


def _run(objects, duration, seed: int, progress: bool) -> None:
    """One brian2 run of ``objects`` (seeded; a tqdm bar of simulated time if asked)."""
    import brian2 as b2

    net = b2.Network(*objects)
    report = None
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=100, desc="sfq run", unit="%", leave=False)

        def report(elapsed, completed, start, total):  # noqa: ARG001 - brian2's signature
            bar.n = int(round(100 * completed))
            bar.refresh()

    b2.seed(seed)
    with _quiet_order_warning():
        try:
            net.run(duration, namespace={}, report=report, report_period=0.5 * second)
        finally:
            if bar is not None:
                bar.close()


def _collect(spec, layout, groups, probabilities, copies, source, duration, dt) -> Simulation:
    """The run's counts, first pulses, losses, energy and (if recorded) spikes."""
    sizes, offsets, n_soma = spec.layer_sizes, layout.soma_offsets, layout.n_soma
    n_in, n_merger, dt_s = sizes[0], layout.n_merger, float(dt)
    somas, mergers = groups.somas, groups.mergers
    input_counts = np.bincount(source, minlength=copies * n_in).reshape(copies, n_in)
    count = np.asarray(somas.count[:]).reshape(copies, n_soma)
    t_first = np.asarray(somas.t_first[:]).reshape(copies, n_soma)
    t_first = np.where(t_first < 0, np.nan, t_first)
    counts = [input_counts] + [
        count[:, offsets[k] : offsets[k + 1]].astype(np.int64) for k in range(len(sizes) - 1)
    ]
    first_pulse = [
        (t_first[:, offsets[k] : offsets[k + 1]] + float(spec.somas[k].delay) - dt_s) * second
        for k in range(len(sizes) - 1)
    ]
    syn_passed = np.zeros(copies)
    syn_blocked = np.zeros(copies)
    for syn, copy_of in groups.synapses:
        syn_passed += np.bincount(copy_of, np.asarray(syn.n_pass[:]), minlength=copies)
        syn_blocked += np.bincount(copy_of, np.asarray(syn.n_block[:]), minlength=copies)
    if mergers is not None:
        m_passed = np.asarray(mergers.passed[:]).reshape(copies, n_merger).sum(axis=1)
        m_lost = np.asarray(mergers.lost[:]).reshape(copies, n_merger).sum(axis=1)
    else:
        m_passed = m_lost = np.zeros(copies)
    arrived = np.asarray(somas.arrived[:]).reshape(copies, n_soma)
    lost = np.asarray(somas.lost[:]).reshape(copies, n_soma).sum(axis=1)
    energy = _energy(
        spec, layout, counts, count, arrived, syn_passed, syn_blocked, m_passed, m_lost
    )
    spikes = None
    if groups.monitors:
        monitor_in, monitor_soma = groups.monitors
        in_i, in_t = np.asarray(monitor_in.i[:]), np.asarray(monitor_in.t[:])
        so_i, so_t = np.asarray(monitor_soma.i[:]), np.asarray(monitor_soma.t[:])
        spikes = [(in_i // n_in, in_i % n_in, in_t * second)]
        so_copy, so_local = so_i // n_soma, so_i % n_soma
        so_layer = layout.soma_layer[so_local]
        for layer in range(len(sizes) - 1):
            keep = so_layer == layer
            spikes.append((so_copy[keep], so_local[keep] - offsets[layer], so_t[keep] * second))
    return Simulation(
        spec=spec,
        copies=copies,
        duration=duration,
        dt=dt,
        counts=counts,
        first_pulse=first_pulse,
        synapse_passed=syn_passed,
        synapse_blocked=syn_blocked,
        merger_passed=m_passed,
        merger_lost=m_lost,
        soma_arrived=arrived.sum(axis=1),
        soma_lost=lost,
        energy=energy * joule,
        probabilities=probabilities,
        spikes=spikes,
    )


def _energy(spec, layout, counts, fired, arrived, syn_passed, syn_blocked, m_passed, m_lost):
    """Joules per copy: every switching event of the module docstring, ``Ic * Phi0`` each."""
    offsets = layout.soma_offsets
    energy = counts[0].sum(axis=1) * spec.source.jj_count * float(spec.source.switch_energy)
    for layer in range(len(spec.layer_sizes) - 1):
        k = spec.fan_out(layer)
        pulses = counts[layer]
        energy += (pulses * np.maximum(k - 1, 0)).sum(axis=1) * float(spec.splitter.pulse_energy)
        energy += (pulses * k).sum(axis=1) * float(spec.jtl.pulse_energy)
    syn_switch = float(spec.synapse.switch_energy)
    energy += (syn_passed * spec.synapse.jj_count + syn_blocked) * syn_switch
    energy += (m_passed * spec.merger.jj_count + m_lost) * float(spec.merger.switch_energy)
    for layer, soma in enumerate(spec.somas):
        block = slice(offsets[layer], offsets[layer + 1])
        energy += (
            arrived[:, block].sum(axis=1) + fired[:, block].sum(axis=1) * soma.jj_count
        ) * float(soma.switch_energy)
    return energy

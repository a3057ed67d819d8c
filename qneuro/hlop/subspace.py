"""Lateral subspace neurons: Oja's subspace rule as Brian2 synapses, and the projection.

Oja's subspace rule (design note, part 2): ``M`` lateral neurons with weights ``H``
(``M x N``) read a layer's presynaptic trace ``x``: ``y = H x``, reconstruction
``x_hat = H^T y``, and ``dH = eta * y (x - x_hat)^T``. It converges to an orthonormal
basis of the principal subspace of ``x`` (uncentred: of ``E[x x^T]``).

Brian2 form: a trace group of ``N`` neurons whose ``x`` is set each step from a
``TimedArray`` (one stored trace per step), a group of ``M`` subspace neurons, and
all-to-all ``Synapses`` with summed variables ``y_post = H * x_pre`` and
``xhat_pre = H * y_post`` plus ``run_regularly('H += eta * y_post * (x_pre - xhat_pre)')``.
Ordering pitfall: both summed-variable updates run in the same scheduling slot; the
trace group gets ``order=1`` so ``xhat`` is summed after ``y`` (otherwise it uses the
previous step's ``y`` and the rule diverges).

New neurons for a new task learn on the residual ``x - Q Q^T x`` of the frozen basis
``Q`` (the frozen neurons' reconstruction subtracted), so they pick up the principal
subspace of what the old neurons do not explain. ``Subspace`` holds the frozen basis of
one layer and projects updates: ``g -> g - Q (Q^T g)`` for ``g`` of shape ``(N, K)``
(equivalently the trace ``x -> x - Q Q^T x`` in ``x^T delta``).
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import subspace_angles


def oja_init(
    n_neurons: int, n_inputs: int, rng: np.random.Generator, frozen: np.ndarray | None = None
) -> np.ndarray:
    """Random orthonormal rows ``(n_neurons, n_inputs)``, orthogonal to ``frozen`` rows."""
    h = rng.normal(size=(n_inputs, n_neurons))
    if frozen is not None and len(frozen):
        h -= frozen.T @ (frozen @ h)
    q, _ = np.linalg.qr(h)
    return q.T.copy()


def _schedule(traces: np.ndarray, passes: int, rng: np.random.Generator) -> np.ndarray:
    return np.concatenate([traces[rng.permutation(len(traces))] for _ in range(passes)])


def oja_numpy(traces: np.ndarray, h0: np.ndarray, rates: np.ndarray) -> np.ndarray:
    """Reference: online Oja subspace rule, one row of ``traces`` per step.

    ``rates[s]`` is ``eta`` at step ``s``. Used as the oracle of the Brian2 network.
    """
    h = h0.copy()
    for x, eta in zip(traces, rates, strict=True):
        y = h @ x
        h += eta * np.outer(y, x - h.T @ y)
    return h


def oja_brian2(
    traces: np.ndarray,
    h0: np.ndarray,
    rates: np.ndarray,
    codegen: str = "numpy",
    trace_order: int = 1,
) -> np.ndarray:
    """Oja's subspace rule in Brian2, one row of ``traces`` per time step.

    Args:
        traces: presented inputs, ``(S, N)``.
        h0: initial lateral weights ``(M, N)``.
        rates: learning rate per step ``(S,)``.
        codegen: Brian2 target for these objects (``numpy`` or ``cython``).
        trace_order: scheduling ``order`` of the trace group; 1 (default) sums ``xhat``
            after ``y``. 0 reproduces the ordering pitfall (kept for the tests).

    Returns:
        The learned ``H``, ``(M, N)``.
    """
    import brian2 as b2

    from .network import code_object_class

    traces = np.asarray(traces, dtype=float)
    steps, n_inputs = traces.shape
    n_neurons = h0.shape[0]
    codeobj = code_object_class(codegen)
    dt = 1 * b2.ms
    stimulus = b2.TimedArray(traces, dt=dt)
    eta = b2.TimedArray(np.asarray(rates, dtype=float), dt=dt)
    namespace = {"stimulus": stimulus, "eta": eta}
    inputs = b2.NeuronGroup(
        n_inputs,
        "x : 1\nxhat : 1",
        dt=dt,
        order=trace_order,
        namespace=namespace,
        codeobj_class=codeobj,
    )
    inputs.run_regularly("x = stimulus(t, i)", when="start", codeobj_class=codeobj)
    lateral = b2.NeuronGroup(n_neurons, "y : 1", dt=dt, codeobj_class=codeobj)
    synapses = b2.Synapses(
        inputs,
        lateral,
        """H : 1
           y_post = H * x_pre : 1 (summed)
           xhat_pre = H * y_post : 1 (summed)""",
        dt=dt,
        namespace=namespace,
        codeobj_class=codeobj,
    )
    synapses.connect()  # all to all; synapse k links input i_k to neuron j_k
    synapses.H[:] = h0[synapses.j[:], synapses.i[:]]
    synapses.run_regularly(
        "H += eta(t) * y_post * (x_pre - xhat_pre)", when="end", codeobj_class=codeobj
    )
    net = b2.Network(inputs, lateral, synapses)
    net.run(steps * dt, namespace={})
    h = np.zeros_like(h0, dtype=float)
    h[synapses.j[:], synapses.i[:]] = synapses.H[:]
    return h


def learn_subspace(
    traces: np.ndarray,
    n_neurons: int,
    rng: np.random.Generator,
    frozen: np.ndarray | None = None,
    rate: float = 0.5,
    passes: int = 6,
    codegen: str = "numpy",
    backend: str = "brian2",
) -> np.ndarray:
    """Learn ``n_neurons`` new lateral neurons on ``traces`` (residual of ``frozen``).

    Args:
        traces: presynaptic traces of one task, ``(S, N)``.
        n_neurons: new subspace neurons ``M``.
        rng: seeds the initial weights and the presentation order.
        frozen: orthonormal rows ``(K, N)`` of the old subspace, or None.
        rate: ``eta`` times the mean squared norm of the (residual) traces; decays as
            ``rate / (1 + pass)`` over the passes.
        passes: passes over the traces (shuffled each pass).
        codegen: Brian2 target.
        backend: ``"brian2"`` (the lateral network) or ``"numpy"`` (the same rule).

    Returns:
        ``H`` of shape ``(n_neurons, N)``, approximately orthonormal rows.
    """
    traces = np.asarray(traces, dtype=float)
    if n_neurons < 1 or n_neurons > traces.shape[1]:
        raise ValueError(f"n_neurons must be in 1..{traces.shape[1]}, got {n_neurons}")
    if frozen is not None and len(frozen):
        traces = traces - (traces @ frozen.T) @ frozen
        if len(frozen) + n_neurons > traces.shape[1]:
            raise ValueError(
                f"{len(frozen)} frozen + {n_neurons} new neurons exceed {traces.shape[1]} inputs"
            )
    power = float(np.mean(np.sum(traces**2, axis=1)))
    if power <= 0:
        raise ValueError("traces are all zero; nothing to learn")
    h0 = oja_init(n_neurons, traces.shape[1], rng, frozen)
    schedule = _schedule(traces, passes, rng)
    rates = np.repeat(rate / power / (1.0 + np.arange(passes)), len(traces))
    if backend == "numpy":
        return oja_numpy(schedule, h0, rates)
    if backend == "brian2":
        return oja_brian2(schedule, h0, rates, codegen)
    raise ValueError(f"backend must be 'brian2' or 'numpy', got {backend!r}")


def pca_basis(traces: np.ndarray, k: int, frozen: np.ndarray | None = None) -> np.ndarray:
    """Top-``k`` right singular vectors (uncentred PCA) of ``traces`` (or their residual)."""
    traces = np.asarray(traces, dtype=float)
    if frozen is not None and len(frozen):
        traces = traces - (traces @ frozen.T) @ frozen
    _, _, vt = np.linalg.svd(traces, full_matrices=False)
    return vt[:k]


def principal_angles(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Principal angles in radians between the row spaces of ``a`` and ``b`` (descending)."""
    return subspace_angles(np.asarray(a, dtype=float).T, np.asarray(b, dtype=float).T)


def orthonormality_error(h: np.ndarray) -> float:
    """Frobenius norm ``||H H^T - I||``."""
    return float(np.linalg.norm(h @ h.T - np.eye(len(h))))


class Subspace:
    """The frozen lateral neurons of one layer and the projection they define.

    Args:
        n_inputs: the layer's input dimension ``N``.
        orthonormalize: orthonormalise on merge (QR) so projection is exact to rounding.
    """

    def __init__(self, n_inputs: int, orthonormalize: bool = True) -> None:
        self.n_inputs = n_inputs
        self.orthonormalize = orthonormalize
        self.weights = np.zeros((0, n_inputs))  # frozen H rows as learned
        self.basis = np.zeros((0, n_inputs))  # orthonormal rows spanning them

    @property
    def size(self) -> int:
        """Frozen neurons ``K``."""
        return len(self.weights)

    def merge(self, new: np.ndarray) -> None:
        """Freeze the rows of ``new`` (``(M, N)``) into the subspace."""
        new = np.asarray(new, dtype=float)
        if new.ndim != 2 or new.shape[1] != self.n_inputs:
            raise ValueError(f"new neurons must have shape (M, {self.n_inputs}), got {new.shape}")
        if self.size + len(new) > self.n_inputs:
            raise ValueError(
                f"{self.size + len(new)} subspace neurons exceed {self.n_inputs} inputs"
            )
        self.weights = np.vstack([self.weights, new])
        if self.orthonormalize:
            q, _ = np.linalg.qr(self.weights.T)
            self.basis = q.T.copy()
        else:
            self.basis = self.weights.copy()

    def project(self, grad: np.ndarray) -> np.ndarray:
        """Remove the frozen subspace from an update ``grad`` of shape ``(N, K)``."""
        if not self.size:
            return grad
        return grad - self.basis.T @ (self.basis @ grad)

    def residual(self, traces: np.ndarray) -> np.ndarray:
        """Traces ``(S, N)`` minus their reconstruction by the frozen neurons."""
        if not self.size:
            return traces
        return traces - (traces @ self.basis.T) @ self.basis

    def captured(self, traces: np.ndarray) -> float:
        """Fraction of the traces' energy inside the frozen subspace."""
        total = float(np.sum(traces**2))
        return 1.0 - float(np.sum(self.residual(traces) ** 2)) / total if total else 0.0

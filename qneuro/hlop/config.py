"""One configuration object for an HLOP continual-learning run, validated in one place.

Every default below is the single source of truth; the CLI maps its options onto it.
Defaults that come from the HLOP paper (Xiao et al., ICLR 2024) are marked "paper";
the others are assumptions chosen for the 8x8 / 16x16 digits streams on a laptop.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from qneuro import checks

INPUT_CODINGS = ("current", "poisson")
CODEGEN_TARGETS = ("numpy", "cython")
STREAMS = ("permuted-digits", "split-digits")
METHODS = ("hlop", "finetune", "multitask", "ewc")
DEFAULT_TASKS = {"permuted-digits": 10, "split-digits": 5}


@dataclass(frozen=True)
class HLOPConfig:
    """Sizes, time constants, learning rates and subspace-neuron counts of one run.

    Construct with keyword arguments; ``validate()`` runs on construction and raises
    ``ValueError`` naming the offending field and the allowed range.
    """

    n_tasks: int = 10
    """Number of tasks of the stream (permuted-digits: up to 10 distinct permutations are
    the benchmark; split-digits: at most 5)."""

    image_size: int = 16
    """Side of the (square) input image in pixels. The 8x8 digits are upsampled bilinearly
    to this size so that ten tasks' principal subspaces fit in the input dimension
    (``image_size**2`` inputs). 8 means no upsampling."""

    n_hidden: int = 256
    """LIF neurons in the hidden layer (per batch copy)."""

    dt_ms: float = 1.0
    """Simulation time step in milliseconds (paper: one step per time bin)."""

    window_steps: int = 20
    """Presentation window per sample in time steps (paper: T = 20)."""

    tau_membrane_ms: float = 50.0
    """Hidden LIF membrane time constant in milliseconds."""

    tau_trace_ms: float = 20.0
    """Time constant of the presynaptic activity traces and of the non-spiking readout
    integrator in milliseconds (equal, so the readout at the window end is exactly
    ``W_out^T x_hidden``)."""

    threshold: float = 1.0
    """Firing threshold of the hidden LIF neurons (dimensionless potential); reset is by
    subtraction. Frozen: never learned."""

    input_coding: str = "current"
    """How pixels drive the network: ``"current"`` (pixel intensity in [0, 1] is a
    constant input current to the hidden layer every step, direct coding as in DSR/HLOP)
    or ``"poisson"`` (Bernoulli spikes per step with probability intensity *
    ``poisson_max_prob``)."""

    poisson_max_prob: float = 1.0
    """Spike probability per step of a fully white pixel under Poisson coding."""

    batch_size: int = 64
    """Samples simulated in parallel (copies of the network) and averaged per update."""

    epochs_per_task: int = 8
    """Passes over each task's training set."""

    learning_rate: float = 0.5
    """SGD learning rate of the feed-forward weights (on the batch-mean gradient)."""

    surrogate_floor: float = 0.1
    """Slope of the rate surrogate outside ``(0, threshold)`` (inside it is 1), so silent
    and saturated neurons still learn (without it hidden neurons die task after task)."""

    init_scale: float = 1.0
    """Standard deviation of the initial input weights times ``sqrt(n_inputs)``."""

    subspace_initial: tuple[int, int] = (40, 40)
    """Lateral subspace neurons learned during the first task for (input layer, hidden
    layer) (paper, permuted MNIST: 80/200/100 for 784-800-800)."""

    subspace_per_task: tuple[int, int] = (22, 22)
    """Lateral subspace neurons added for each later task, per layer (paper: +70)."""

    oja_rate: float = 0.5
    """Oja learning rate, divided by the mean squared norm of the layer's traces."""

    oja_passes: int = 6
    """Passes of the Hebbian phase over a task's presynaptic traces (one sample per
    simulation step); the rate decays as ``oja_rate / (1 + pass)``."""

    orthonormalize_merge: bool = True
    """Orthonormalise the merged frozen basis (QR) so the projection is exact to
    rounding; the learned basis is already orthonormal to about 1e-2."""

    ewc_lambda: float = 50.0
    """EWC penalty strength (online EWC, empirical Fisher summed over tasks)."""

    multitask_epochs: int | None = None
    """Epochs of joint training on all tasks seen so far (multitask); None: same as
    ``epochs_per_task``."""

    codegen: str = "numpy"
    """Brian2 code-generation target for this run's objects (``numpy`` starts
    immediately; ``cython`` compiles once and is faster). Set per object, never as a
    global preference."""

    seed: int = 0
    """Seed of the weights, the task permutations, the data split and the shuffling."""

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ``ValueError`` on any out-of-range field (the one place of validation)."""
        _positive_int(
            self,
            "n_tasks",
            "image_size",
            "n_hidden",
            "window_steps",
            "batch_size",
            "epochs_per_task",
            "oja_passes",
        )
        if self.image_size < 8:
            raise ValueError(f"image_size must be >= 8 (8x8 digits), got {self.image_size}")
        checks.seed("seed", self.seed, limit=2**32)
        for name in (
            "dt_ms",
            "tau_membrane_ms",
            "tau_trace_ms",
            "threshold",
            "learning_rate",
            "init_scale",
            "oja_rate",
        ):
            checks.real(name, getattr(self, name), 0, above=True)
        checks.real("surrogate_floor", self.surrogate_floor, 0, 1)
        checks.real("ewc_lambda", self.ewc_lambda, 0)
        checks.real("poisson_max_prob", self.poisson_max_prob, 0, 1, above=True)
        if self.input_coding not in INPUT_CODINGS:
            raise ValueError(
                f"input_coding must be one of {INPUT_CODINGS}, got {self.input_coding!r}"
            )
        if self.codegen not in CODEGEN_TARGETS:
            raise ValueError(f"codegen must be one of {CODEGEN_TARGETS}, got {self.codegen!r}")
        if self.multitask_epochs is not None:
            _positive_int(self, "multitask_epochs")
        for name in ("subspace_initial", "subspace_per_task"):
            value = getattr(self, name)
            if len(value) != 2 or any(int(v) != v or v < 0 for v in value):
                raise ValueError(
                    f"{name} must be two non-negative integers "
                    f"(input layer, hidden layer), got {value!r}"
                )
        if min(self.subspace_initial) < 1:
            raise ValueError(
                f"subspace_initial needs >= 1 neuron per layer, got {self.subspace_initial!r}"
            )
        for layer, inputs in enumerate((self.n_inputs, self.n_hidden)):
            total = self.subspace_total(layer)
            if total > inputs:
                raise ValueError(
                    f"{total} subspace neurons for layer {layer} over {self.n_tasks} tasks "
                    f"exceed its {inputs} inputs; lower subspace_initial/subspace_per_task "
                    f"(now {self.subspace_initial}/{self.subspace_per_task}) or n_tasks"
                )

    @property
    def n_inputs(self) -> int:
        """Input dimension ``image_size**2``."""
        return self.image_size**2

    def subspace_total(self, layer: int) -> int:
        """Subspace neurons of ``layer`` (0: input, 1: hidden) after all tasks."""
        return self.subspace_initial[layer] + (self.n_tasks - 1) * self.subspace_per_task[layer]

    def neurons_for_task(self, task: int, layer: int) -> int:
        """New subspace neurons of ``layer`` learned during ``task`` (0-based)."""
        return self.subspace_initial[layer] if task == 0 else self.subspace_per_task[layer]

    def replace(self, **changes: Any) -> HLOPConfig:
        """A validated copy with ``changes`` applied."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        data = asdict(self)
        data["subspace_initial"] = list(self.subspace_initial)
        data["subspace_per_task"] = list(self.subspace_per_task)
        return data

    @classmethod
    def field_names(cls) -> list[str]:
        """Names of the configurable fields."""
        return [f.name for f in fields(cls)]


def _positive_int(config: HLOPConfig, *names: str) -> None:
    for name in names:
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")

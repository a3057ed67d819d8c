"""The ``generate`` dataset writer: circuits sampled in seeded batches, written resumably.

A ``generate`` folder holds ``circuit_NNNNNN.qasm`` files (``.qasm3`` or ``.qpy`` with
another format, :mod:`~qneuro.generators.formats`), ``manifest.jsonl`` (one row per
circuit) and ``generate.json`` (the settings a resumed run must match);
:func:`generate_dataset` states the contract. Device levels (``native``, ``mapped``) are
:mod:`~qneuro.generators.levels`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from qneuro import checks
from qneuro.cluster import check_address, require_ray
from qneuro.files import (
    FolderLock,
    atomic_write_json,
    atomic_write_text,
    inside,
    open_append,
    output_folder,
    remove_temporaries,
)
from qneuro.generators import card, levels
from qneuro.generators.decoding import (
    SAMPLER,
    UNRECORDED_SAMPLER,
    check_sampling,
    render_loose,
    sample_tokens,
)
from qneuro.generators.features import circuit_features
from qneuro.generators.formats import (
    DEFAULT_BATCH_SIZE,
    FORMATS,
    MANIFEST_FILE,
    SETTINGS_FILE,
    check_format,
    circuit_from_qasm2,
    encode,
    write_circuit,
)
from qneuro.generators.model import default_model_dir, load_model, pick_device
from qneuro.generators.normal_form import NormalForm, load_normal_form
from qneuro.generators.tokenizer import MAX_QUBITS, Tokenizer, parse_normalised

#: Most torch CPU threads :func:`generate_dataset` accepts.
MAX_THREADS = 1024
_CIRCUIT_FILE = re.compile(r"circuit_(\d{6,})\.(?:qasm|qasm3|qpy)")
#: Settings added after the first release, with the value a run made before them had;
#: :meth:`GenerateOptions.key` leaves them out at these values (same ``generate.json``).
_LATER_DEFAULTS = {
    "level": "indep",
    "backend": None,
    "basis_gates": None,
    "coupling_map": None,
    "format": "qasm2",
}


def parse_range(text: str) -> tuple[int, int]:
    """``"2-10"`` -> (2, 10); ``"5"`` -> (5, 5)."""
    try:
        parts = [int(p) for p in str(text).split("-")]
    except ValueError:
        raise ValueError(f"qubit range must look like '2-10' or '5', got {text!r}") from None
    if len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2 or not 1 <= parts[0] <= parts[1]:
        raise ValueError(f"qubit range must look like '2-10' or '5', got {text!r}")
    return parts[0], parts[1]


@dataclass
class GenerateOptions:
    """Settings of one ``generate`` run (stored in ``generate.json`` for resuming).

    Checked on creation and by :func:`generate_dataset` (:meth:`validate`): ``n`` and
    ``batch_size`` >= 1; ``qubits`` a pair ``1 <= low <= high <= 32``; ``seed`` >= 0;
    ``temperature``, ``top_k``, ``top_p`` as in :func:`sample_tokens` (``top_k`` None means
    no top-k filtering; 0 and negative values are refused rather than ignored).

    ``level`` is ``indep`` (the generator's gate set), ``native`` or ``mapped``
    (:mod:`~qneuro.generators.levels`), with a ``backend`` name or custom ``basis_gates``
    (and ``coupling_map`` edges for ``mapped``); ``format`` is a
    :data:`~qneuro.generators.formats.FORMATS` name. Gate names are stored sorted and
    edges as sorted ``[a, b]`` pairs with ``a < b``. A level or format other than
    ``indep``/``qasm2`` needs constrained decoding (every sample must parse).
    """

    n: int = 1000
    qubits: tuple[int, int] = (2, 10)
    seed: int = 0
    temperature: float = 1.0
    top_k: int | None = None
    top_p: float | None = None
    constrained: bool = True
    normal_form: bool = True
    family: str | None = None
    batch_size: int = DEFAULT_BATCH_SIZE
    model: str = "default"
    level: str = "indep"
    backend: str | None = None
    basis_gates: tuple[str, ...] | None = None
    coupling_map: tuple[tuple[int, int], ...] | None = None
    format: str = "qasm2"

    def __post_init__(self) -> None:
        if isinstance(self.basis_gates, list | tuple):
            self.basis_gates = tuple(sorted(set(self.basis_gates), key=str))
        if isinstance(self.coupling_map, list | tuple):
            self.coupling_map = levels.normalise_edges(self.coupling_map)
        self.validate()

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first setting outside its range."""
        checks.integer("n", self.n, low=1)
        if not isinstance(self.qubits, tuple | list) or len(self.qubits) != 2:
            raise ValueError(f"qubits must be a (low, high) pair, got {self.qubits!r}")
        low = checks.integer("qubits low", self.qubits[0], low=1, high=MAX_QUBITS)
        checks.integer("qubits high", self.qubits[1], low=low, high=MAX_QUBITS)
        checks.seed("seed", self.seed)
        check_sampling(self.temperature, self.top_k, self.top_p)
        checks.flag("constrained", self.constrained)
        checks.flag("normal_form", self.normal_form)
        if not isinstance(self.family, str | None):
            raise ValueError(f"family must be a family name or None, got {self.family!r}")
        checks.integer("batch_size", self.batch_size, low=1)
        if not isinstance(self.model, str):
            raise ValueError(f"model must be a string naming the model, got {self.model!r}")
        levels.check_choice(self.level, self.backend, self.basis_gates, self.coupling_map)
        check_format(self.format)
        plain = self.level == "indep" and self.format == "qasm2"
        if not (self.constrained or plain):
            raise ValueError(
                f"unconstrained decoding with level {self.level!r}, format {self.format!r}: "
                "unconstrained samples may not parse; allowed: level indep with format qasm2"
            )

    def key(self) -> dict:
        """Settings that must match when resuming: all but ``n`` (batches are seeded)."""
        d = dict(self.__dict__)
        d.pop("n")
        d["qubits"] = list(d["qubits"])
        for name, default in _LATER_DEFAULTS.items():
            if d[name] == default:
                d.pop(name)  # left out at its default, as in folders from before it existed
        if d.get("basis_gates") is not None:
            d["basis_gates"] = list(d["basis_gates"])
        if d.get("coupling_map") is not None:
            d["coupling_map"] = [list(edge) for edge in d["coupling_map"]]
        return d


def generate_dataset(
    out: str | Path,
    options: GenerateOptions,
    *,
    model_dir: str | Path | None = None,
    device: str = "cpu",
    progress: bool = True,
    threads: int | None = 1,
    workers: int = 1,
    address: str | None = None,
    reference: str | Path | None = None,
) -> dict:
    """Generate ``options.n`` circuits into ``out`` (resumable; atomic file writes).

    Circuit ``i`` belongs to batch ``i // batch_size``; batch ``b`` draws its qubit counts
    and tokens from generators seeded by ``(seed, b)``, so a resumed run reproduces the
    same circuits and only writes the missing ones. Each circuit file is written to a
    temporary name and renamed; its manifest row (``manifest.jsonl``: file, qubits,
    gates, depth, family, valid, seed, batch) is appended after the file is in place.

    With ``options.level`` ``native`` or ``mapped`` each circuit is transpiled
    (:func:`~qneuro.generators.levels.to_level`, seeded by the run seed) and its row adds
    ``level``, ``backend`` (``custom`` for a custom target), the written circuit's
    ``device_qubits``, ``device_gates`` and ``device_depth`` (``gates``/``depth`` stay
    those of the generated circuit) and, for ``mapped``,
    ``initial_layout``/``final_layout`` (:func:`~qneuro.generators.levels.layout_fields`).
    With ``options.format`` other than ``qasm2`` the row adds ``format``; at the defaults
    (``indep``, ``qasm2``) a file holds the sampled text unchanged.

    With ``workers > 1`` or an ``address``, the batches are sampled by Ray workers (one
    CPU and one torch thread each, the model sent to them) and come back in batch order;
    this process writes every file. Files and manifest are byte-identical to a
    single-process run with the same settings, and a resumed run samples only the
    batches that are not complete, whichever way either run was made.

    The run ends by writing the dataset card (``CARD.md``, ``card.json``;
    :mod:`~qneuro.generators.card`); an earlier card is removed when the run starts, so
    a killed run leaves none (its verification section is carried over while the
    circuits are unchanged).

    Every setting, the model folder and the earlier run's ``generate.json`` are checked
    before anything is written. The folder is locked (:class:`~qneuro.files.FolderLock`)
    while writing, so a second process is refused; temporary files of a killed run are
    removed, and no symbolic link in the folder is followed.

    Args:
        out: Output folder (created; an earlier run with the same settings is resumed).
        options: Sampling settings (:class:`GenerateOptions`).
        model_dir: Model folder (default: the bundled model).
        device: Torch device for sampling (``cpu``, ``cuda``, ``cuda:N`` or ``auto``).
        progress: Show a tqdm bar.
        threads: Torch CPU threads, 1 to :data:`MAX_THREADS` (None: leave torch's setting).
        workers: Ray workers sampling batches (1: sample here, without Ray).
        address: Ray cluster for the workers (``auto`` or ``HOST:PORT``;
            None: a local Ray with ``workers`` CPUs); see :mod:`qneuro.cluster`.
        reference: Corpus folder whose real circuits the card's histograms show next to
            the generated ones (default: the corpus the model records, when present).

    Returns:
        Summary dict with ``n``, ``out``, ``valid`` (share that decodes to a normalised
        program), ``circuits_per_second`` (this run's sampling rate), ``generated`` (new
        this run), ``skipped`` (already present) and ``normal_form`` (whether normal-form
        masks were applied: constrained decoding with a model folder that has
        ``normal_form.json``) and ``card`` (the ``CARD.md`` path). With Ray workers the
        rate is circuits per second of this process's wall time waiting for them (the
        workers' start-up included).

    Raises:
        ValueError: A bad setting, model folder or earlier run (the message names it), or
            ``out`` in use by another process.
    """
    options.validate()
    device, threads, workers = _check_run(device, threads, workers, address)
    target = levels.resolve_device(
        options.level, options.backend, options.basis_gates, options.coupling_map, options.qubits[1]
    )
    job = _load_job(options, model_dir, device, target)
    key = options.key()
    key["normal_form"] = job.normal_form is not None  # applied, not just asked for
    key["sampler"] = SAMPLER
    if options.level == "mapped":  # the seed changes layout and routing only
        key["transpile_seed"] = levels.SEEDING
    if threads:
        torch.set_num_threads(threads)
    if reference is not None and not (Path(reference) / "manifest.jsonl").is_file():
        raise FileNotFoundError(f"reference corpus {reference} has no manifest.jsonl")
    with _batches(job, workers, address) as run:  # Ray first: it may refuse
        out = output_folder(out, what="out")
        with FolderLock(out):
            have = _open_folder(out, key, options.format)
            earlier = card.previous_card(out)
            card.remove_card(out)
            generated, sample_seconds = _write_missing(out, options, run, have, progress)
            card.write_card(out, reference=reference, device=str(device), previous=earlier)
    rows = [have[_circuit_name(i, options.format)] for i in range(options.n)]
    return {
        "n": options.n,
        "out": str(out),
        "valid": sum(bool(r["valid"]) for r in rows) / len(rows),
        "generated": generated,
        "skipped": options.n - generated,
        "circuits_per_second": generated / sample_seconds if sample_seconds else None,
        "constrained": options.constrained,
        "normal_form": job.normal_form is not None,
        "card": str(out / card.CARD_MD),
    }


def _check_run(
    device: str, threads: int | None, workers: int, address: str | None
) -> tuple[torch.device, int | None, int]:
    """The checked ``(device, threads, workers)`` of a run (see :func:`generate_dataset`)."""
    threads = checks.integer("threads", threads, low=1, high=MAX_THREADS, optional=True)
    workers = checks.integer("workers", workers, low=1, high=MAX_THREADS)
    check_address(address)
    if workers > 1 or address is not None:
        require_ray()  # an ImportError naming the extra, before anything is written
    device = pick_device(device)
    if str(device) != "cpu" and (workers > 1 or address is not None):
        raise ValueError(
            f"device={device!r} with Ray workers; allowed: cpu (each worker samples on one CPU)"
        )
    return device, threads, workers


def _load_job(
    options: GenerateOptions, model_dir: str | Path | None, device, target: levels.Device | None
) -> _BatchJob:
    """The model, tokenizer and normal form of ``model_dir``, checked against ``options``."""
    model, tokenizer = load_model(model_dir, device)
    normal_form = None
    if options.constrained and options.normal_form:
        normal_form = load_normal_form(model_dir or default_model_dir())
    lo, hi = options.qubits
    if hi > tokenizer.max_qubits:
        raise ValueError(f"qubit range {lo}-{hi} exceeds the model's {tokenizer.max_qubits} qubits")
    if options.family is not None and options.family not in tokenizer.families:
        raise ValueError(f"family {options.family!r} unknown to the model: {tokenizer.families}")
    return _BatchJob(model, tokenizer, options, normal_form, device, target)


def _open_folder(out: Path, key: dict, fmt: str) -> dict[str, dict]:
    """Clean up and check ``out``, record ``key`` in it; its circuits in place by name."""
    remove_temporaries(out)
    _check_earlier_settings(out, key)
    have = _resume_manifest(out, fmt)
    atomic_write_json(out / SETTINGS_FILE, {"settings": key})
    return have


def _write_missing(
    out: Path, options: GenerateOptions, run, have: dict[str, dict], progress: bool
) -> tuple[int, float]:
    """Sample the batches with a circuit missing from ``have`` and write those circuits.

    Each file is written atomically, then its manifest row appended (and added to
    ``have``). Returns the circuits written and the seconds spent sampling.
    """
    from tqdm.auto import tqdm

    sample_seconds, generated = 0.0, 0
    bar = tqdm(total=options.n, desc="generate", unit="circ", disable=not progress)
    bar.update(sum(_circuit_index(name) < options.n for name in have))
    batches = range((options.n + options.batch_size - 1) // options.batch_size)
    todo = [
        b
        for b in batches
        if not all(_circuit_name(i, options.format) in have for i in _batch_indices(options, b))
    ]
    with open_append(out / MANIFEST_FILE) as fh:
        for _batch, samples, seconds in run(todo):
            sample_seconds += seconds
            for _index, name, payload, row in samples:
                if name in have:
                    continue
                write_circuit(out / name, payload)
                fh.write(json.dumps(row) + "\n")
                fh.flush()
                have[name] = row
                generated += 1
                bar.update(1)
    bar.close()
    return generated, sample_seconds


@dataclass(frozen=True)
class _BatchJob:
    """Everything a batch needs: ``job(b)`` -> ``(b, samples, seconds)``.

    ``samples`` lists ``(index, file name, file contents, manifest row)`` for the batch's
    circuits (contents: text, or bytes for QPY). ``target`` is the device of a
    ``native``/``mapped`` level (None for ``indep``).
    """

    model: torch.nn.Module
    tokenizer: Tokenizer
    options: GenerateOptions
    normal_form: NormalForm | None
    device: str
    target: levels.Device | None = None

    def __call__(self, b: int) -> tuple[int, list, float]:
        options = self.options
        idx = _batch_indices(options, b)
        bseed = _batch_seed(options.seed, b)
        rng = np.random.default_rng(bseed)
        lo, hi = options.qubits
        qubits = rng.integers(lo, hi + 1, size=len(idx)).tolist()
        gen = torch.Generator(device=self.device).manual_seed(bseed)
        t0 = time.perf_counter()
        seqs = sample_tokens(
            self.model,
            self.tokenizer,
            qubits,
            families=[options.family] * len(idx) if options.family else None,
            constrained=options.constrained,
            temperature=options.temperature,
            top_k=options.top_k,
            top_p=options.top_p,
            generator=gen,
            normal_form=self.normal_form,
        )
        seconds = time.perf_counter() - t0
        samples = []
        for i, q, ids in zip(idx, qubits, seqs, strict=False):
            text = render_loose(self.tokenizer, ids)
            name = _circuit_name(i, options.format)
            row = {"file": name, "qubits": q, "seed": options.seed, "batch": b, "index": i}
            row.update(_describe(self.tokenizer, text, ids))
            payload, extra = _export(options, self.target, i, text)
            samples.append((i, name, payload, {**row, **extra}))
        return b, samples, seconds


def _export(
    options: GenerateOptions, target: levels.Device | None, index: int, text: str
) -> tuple[str | bytes, dict]:
    """File contents of circuit ``index`` at ``options.level`` in ``options.format``.

    Returns the contents and the manifest fields the level and format add (none for
    ``indep``/``qasm2``, whose contents are ``text`` unchanged). Raises ``ValueError`` if
    ``text`` does not parse (constrained decoding, required for conversion, prevents it).
    """
    if options.level == "indep" and options.format == "qasm2":
        return text, {}
    stem = _circuit_name(index, options.format).rsplit(".", 1)[0]
    try:
        circuit = circuit_from_qasm2(text, stem)
    except Exception as exc:  # noqa: BLE001 - qiskit's parser raises several types
        raise ValueError(f"circuit {index} does not parse, cannot convert it: {exc}") from None
    extra: dict = {}
    if options.level != "indep":
        seed = levels.transpile_seed(options.seed)
        circuit = levels.to_level(circuit, options.level, target, seed)
        extra = {"level": options.level, "backend": target.name}
        extra.update(device_qubits=circuit.num_qubits, device_gates=_gate_count(circuit))
        extra["device_depth"] = circuit.depth()
        extra.update(levels.layout_fields(circuit))
    if options.format != "qasm2":
        extra["format"] = options.format
    return encode(circuit, options.format), extra


def _gate_count(circuit) -> int:  # noqa: ANN001
    """Operations of ``circuit`` that are gates (no barrier, measure or delay)."""
    skip = {"barrier", "measure", "delay", "reset"}
    return sum(n for name, n in circuit.count_ops().items() if name not in skip)


def _batch_indices(options: GenerateOptions, b: int) -> range:
    return range(b * options.batch_size, min((b + 1) * options.batch_size, options.n))


@contextlib.contextmanager
def _batches(job: _BatchJob, workers: int, address: str | None):
    """Yield ``run(batches)``, an iterator of ``job(b)`` in the order of ``batches``.

    One worker and no address: here, one batch after the other. Otherwise Ray actors
    (each with one CPU and one torch thread) sample them; ``seconds`` is then the wall
    time this process waited for each batch.
    """
    if workers == 1 and address is None:
        yield lambda batches: map(job, batches)
        return
    from qneuro.cluster import ray_session

    with ray_session(address, workers if address is None else None) as ray:
        from ray.util import ActorPool

        cpus = ray.cluster_resources().get("CPU", 0)
        if workers > cpus:  # the extra workers would wait for a CPU forever
            raise ValueError(f"workers={workers} exceeds the {cpus:g} CPUs of the Ray cluster")

        @ray.remote(num_cpus=1)
        class Sampler:
            def __init__(self, job):
                torch.set_num_threads(1)
                self.job = job

            def sample(self, b):
                return self.job(b)

        shared = ray.put(job)
        pool = ActorPool([Sampler.remote(shared) for _ in range(workers)])

        def run(batches):
            last = time.perf_counter()
            results = pool.map(lambda actor, b: actor.sample.remote(b), batches)
            while True:
                try:
                    b, samples, _ = next(results)
                except StopIteration:
                    return
                except (
                    ray.exceptions.RayActorError,
                    ray.exceptions.WorkerCrashedError,
                    ray.exceptions.NodeDiedError,
                    ray.exceptions.ObjectLostError,
                ) as exc:
                    raise OSError(
                        f"a Ray worker failed ({type(exc).__name__}); the circuits "
                        "written so far are kept: rerun the command to resume"
                    ) from None
                now = time.perf_counter()
                yield b, samples, now - last
                last = now

        yield run


def _circuit_name(index: int, fmt: str = "qasm2") -> str:
    """File name of circuit ``index`` in format ``fmt`` (``circuit_000012.qasm``)."""
    return f"circuit_{index:06d}{FORMATS[fmt]}"


def _circuit_index(name: str) -> int:
    return int(_CIRCUIT_FILE.fullmatch(name).group(1))


def _batch_seed(seed: int, batch: int) -> int:
    """Seed of batch ``batch``: the first 63 bits of ``sha256("seed:batch")``."""
    digest = hashlib.sha256(f"{seed}:{batch}".encode()).digest()
    return int.from_bytes(digest[:8], "little") & (2**63 - 1)


def _describe(tokenizer: Tokenizer, text: str, ids: list[int]) -> dict:
    """Manifest fields of one sample: gates, depth, valid, family (and reason if invalid)."""
    try:
        feats = circuit_features(parse_normalised(text))
    except ValueError as exc:
        return {
            "gates": None,
            "depth": None,
            "valid": False,
            "family": None,
            "reason": str(exc)[:200],
        }
    fam_id = ids[2] if len(ids) > 2 else -1
    fam = tokenizer.vocab[fam_id] if 0 <= fam_id < len(tokenizer) else "?"
    return {
        "gates": int(feats["gates"]),
        "depth": int(feats["depth"]),
        "valid": True,
        "family": fam[2:] if fam.startswith("f:") else None,
    }


def _check_earlier_settings(out: Path, key: dict) -> None:
    """Refuse to resume ``out`` when its ``generate.json`` holds settings other than ``key``."""
    path = inside(out, SETTINGS_FILE)
    if not path.exists():
        return
    previous = checks.read_json_object(path, what="settings").get("settings")
    if not isinstance(previous, dict):
        raise ValueError(f"settings {path} must hold a 'settings' object")
    older = {"normal_form": False, "sampler": UNRECORDED_SAMPLER}  # runs before these entries
    previous = {**older, **_LATER_DEFAULTS, **previous}
    key = {**_LATER_DEFAULTS, **key}
    if previous["level"] == key["level"] == "mapped":  # mapped runs record their seeding
        previous.setdefault("transpile_seed", levels.UNRECORDED_SEEDING)
    else:  # another level differs anyway
        previous.pop("transpile_seed", None)
        key.pop("transpile_seed", None)
    differ = [k for k in sorted(set(previous) | set(key)) if previous.get(k) != key.get(k)]
    if differ:
        changes = ", ".join(f"{k} {previous.get(k)!r} there, {key.get(k)!r} now" for k in differ)
        raise ValueError(f"{out} holds a run with other settings ({changes}); use another folder")


def _resume_manifest(out: Path, fmt: str = "qasm2") -> dict[str, dict]:
    """Rows of ``out/manifest.jsonl`` whose circuit file is in place, by file name.

    The manifest is rewritten to just these rows: a torn last line (from a killed run),
    rows whose file is missing and repeated rows are dropped, and their circuits are
    generated again. Any other malformed row is refused, as is a row naming anything but
    ``circuit_NNNNNN`` with the suffix of ``fmt`` in the folder, or a circuit that is a
    symbolic link.
    """
    suffix = FORMATS[fmt]
    manifest = inside(out, MANIFEST_FILE)
    if not manifest.exists():
        return {}
    have: dict[str, dict] = {}
    kept: list[str] = []
    rows = checks.read_jsonl_objects(manifest, what="manifest", torn_tail_ok=True)
    for line_number, line, row in rows:
        where = f"manifest {manifest} line {line_number}"
        name = checks.field(where, row, "file")
        if not (isinstance(name, str) and _CIRCUIT_FILE.fullmatch(name) and name.endswith(suffix)):
            raise ValueError(f"{where}: file {name!r} refused; allowed: circuit_NNNNNN{suffix}")
        checks.flag(f"{where}: valid", checks.field(where, row, "valid"))
        path = inside(out, name, what="circuit")
        if path.exists() and not path.is_file():
            raise ValueError(f"circuit {path} is not a regular file")
        if name not in have and path.exists():
            have[name] = row
            kept.append(line + "\n")
    atomic_write_text(manifest, "".join(kept))
    return have

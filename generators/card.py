"""The dataset card of a ``generate`` folder: ``CARD.md`` and ``card.json``.

Every ``qneuro generate`` run ends by writing a card into its output folder, and
``qneuro generators verify`` rewrites it with a verification section. The card holds:

- the **dataset**: circuit count, file format and level, a digest of the circuit files
  (SHA-256 over each file's name and SHA-256, in name order), counts per qubit size and
  per family, gate-count and depth statistics and histograms (from ``manifest.jsonl``;
  for a folder without one, from the ``.qasm`` files in the normalised format);
- the **generation**: the model (``bundled`` or its folder) with its training corpus as
  recorded in the model folder (``recipe.json`` of the bundled model, ``training.json``
  of any trained one), the settings of ``generate.json`` (seed, sampling, level,
  backend, format) and the exact ``qneuro generate`` command that writes the same bytes
  (tested): every setting that changes a circuit is in it (threads and workers do not);
- **histograms** next to the real corpus: ``card_histograms.png`` (circuits per qubit
  count, gate count, depth; generated vs the real circuits of the corpus at the same
  qubit counts, all splits), drawn only when a corpus is known: given
  (``generate --reference``, ``verify --reference``), shown by the card being
  rewritten, or recorded in the model's ``training.json``, and present on this machine;
- the **verification** (the ``verify`` result, failures cut to 10, with its command),
  kept when the card is rewritten only while the dataset digest is unchanged.

Both files (and the figure) are written atomically (:mod:`qneuro.files`); ``generate``
removes an earlier card when it starts and writes the new one when every circuit is in
place, so a killed run leaves no card rather than a stale or half-written one, and a
resumed run writes it at its end.
"""

from __future__ import annotations

import hashlib
import json
import shlex
from collections import Counter
from pathlib import Path

import numpy as np

from qneuro import __version__, checks
from qneuro.files import atomic_save_figure, atomic_write_json, atomic_write_text, inside
from qneuro.generators.formats import DEFAULT_BATCH_SIZE, MANIFEST_FILE, SETTINGS_FILE
from qneuro.generators.levels import SEEDING, UNRECORDED_SEEDING

CARD_JSON, CARD_MD, CARD_FIGURE = "card.json", "CARD.md", "card_histograms.png"
#: Files of a card, removed together when ``generate`` starts.
CARD_FILES = (CARD_JSON, CARD_MD, CARD_FIGURE)
FORMAT = "qneuro.generators.card/1"
#: Failures kept in the card's verification section (the rest are counted).
MAX_CARD_FAILURES = 10
_GATE_BINS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096]


def remove_card(folder: str | Path) -> None:
    """Delete the card files of ``folder`` (no symbolic link followed)."""
    for name in CARD_FILES:
        path = inside(folder, name, what="card file")
        if path.is_file():
            path.unlink()


def previous_card(folder: str | Path) -> dict | None:
    """The folder's ``card.json`` when it is a readable card, else None."""
    path = inside(folder, CARD_JSON, what="card")
    if not path.is_file():
        return None
    try:
        card = checks.read_json_object(path, what="card")
    except ValueError:
        return None
    return card if card.get("format") == FORMAT else None


def write_card(
    folder: str | Path,
    *,
    reference: str | Path | None = None,
    verification: dict | None = None,
    verify_command: str | None = None,
    device: str | None = None,
    previous: dict | None = None,
) -> dict:
    """Write ``CARD.md``, ``card.json`` (and the histogram figure) into ``folder``.

    Args:
        folder: A ``generate`` output folder (or any folder of normalised ``.qasm`` files).
        reference: Corpus folder for the histograms (default: the corpus recorded by the
            model, when present).
        verification: A :func:`~qneuro.generators.verify.verify_dataset` result.
        verify_command: The command that produced ``verification``.
        device: The torch device of the generate run (in the command when not cpu).
        previous: The card to keep the verification and device from (default: the
            folder's ``card.json``); kept only while the dataset digest is unchanged.

    Returns:
        The card (the contents of ``card.json``).
    """
    folder = Path(folder)
    previous = previous_card(folder) if previous is None else previous
    settings_path = inside(folder, SETTINGS_FILE, what="settings")
    settings = None
    if settings_path.is_file():
        settings = checks.read_json_object(settings_path, what="settings").get("settings")
    rows = _rows(folder, inside(folder, MANIFEST_FILE, what="manifest"))
    dataset = _dataset(folder, rows, settings)
    same = previous is not None and previous.get("dataset", {}).get("digest") == dataset["digest"]
    if device is None and same:
        device = (previous.get("generation") or {}).get("device")
    generation = None
    if isinstance(settings, dict):
        generation = _generation(folder, settings, len(rows), device)
    if reference is None:
        reference = _known_corpus(previous if same else None, generation)
    histograms = _histograms(rows, reference)
    if verification is not None:
        verification = _verification(verification, verify_command, reference)
    elif same:
        verification = previous.get("verification")
    card = {
        "format": FORMAT,
        "qneuro_version": __version__,
        "dataset": dataset,
        "generation": generation,
        "histograms": histograms,
        "verification": verification,
    }
    if histograms.get("figure"):
        _figure(folder / CARD_FIGURE, histograms)
    atomic_write_json(folder / CARD_JSON, card)
    atomic_write_text(folder / CARD_MD, render_markdown(card, folder.name))
    return card


def _known_corpus(previous: dict | None, generation: dict | None) -> str | None:
    """The corpus the previous card showed, else the model's recorded one (if present)."""
    candidates = [((previous or {}).get("histograms") or {}).get("reference") or {}]
    candidates = [c.get("corpus") for c in candidates]
    if generation is not None:
        candidates.append(generation["model"].get("training_corpus_path"))
    for corpus in candidates:
        if isinstance(corpus, str) and (Path(corpus) / "manifest.jsonl").is_file():
            return corpus
    return None


def _rows(folder: Path, manifest: Path) -> list[dict]:
    """Manifest rows (``file``, ``qubits``, ``gates``, ``depth``, ``family``, ``valid``)."""
    if manifest.is_file():
        rows = checks.read_jsonl_objects(manifest, what="manifest", torn_tail_ok=True)
        return sorted((row for _, _, row in rows), key=lambda r: str(r.get("file")))
    from qneuro.files import read_text_limited
    from qneuro.generators.features import circuit_features
    from qneuro.generators.tokenizer import parse_normalised
    from qneuro.generators.verify import MAX_FILE_BYTES

    rows = []
    for path in sorted(folder.glob("*.qasm")):
        row = {"file": path.name, "qubits": None, "gates": None, "depth": None, "valid": False}
        try:
            text = read_text_limited(inside(folder, path.name), MAX_FILE_BYTES, what="file")
            feats = circuit_features(parse_normalised(text))
        except ValueError:
            rows.append(row)
            continue
        row.update(qubits=int(feats["qubits"]), gates=int(feats["gates"]), valid=True)
        row["depth"] = int(feats["depth"])
        rows.append(row)
    return rows


def _digest(folder: Path, names: list[str]) -> str:
    """SHA-256 over each file's name and SHA-256, in name order (missing files as such)."""
    total = hashlib.sha256()
    for name in sorted(names):
        path = inside(folder, name, what="circuit")
        content = path.read_bytes() if path.is_file() and not path.is_symlink() else b"<missing>"
        total.update(f"{name}\0{hashlib.sha256(content).hexdigest()}\n".encode())
    return total.hexdigest()


def _dataset(folder: Path, rows: list[dict], settings: dict | None) -> dict:
    settings = settings if isinstance(settings, dict) else {}
    valid = [r for r in rows if r.get("valid") and isinstance(r.get("qubits"), int)]
    per_qubits: dict[int, list[dict]] = {}
    for r in valid:
        per_qubits.setdefault(r["qubits"], []).append(r)
    by_qubits = {
        str(q): {
            "circuits": len(rs),
            "mean_gates": float(np.mean([r["gates"] for r in rs])),
            "mean_depth": float(np.mean([r["depth"] for r in rs])),
        }
        for q, rs in sorted(per_qubits.items())
    }
    families = Counter(str(r.get("family") or "unconditioned/unknown") for r in valid)
    gates = [r["gates"] for r in valid]
    depths = [r["depth"] for r in valid]
    return {
        "folder": str(folder),
        "circuits": len(rows),
        "valid": len(valid),
        "level": settings.get("level", "indep"),
        "backend": settings.get("backend"),
        "format": settings.get("format", "qasm2"),
        "digest": _digest(folder, [str(r.get("file")) for r in rows]),
        "by_qubits": by_qubits,
        "by_family": dict(sorted(families.items(), key=lambda kv: (-kv[1], kv[0]))),
        "gates": _summary(gates),
        "depth": _summary(depths),
    }


def _summary(values: list[int]) -> dict | None:
    if not values:
        return None
    return {
        "min": int(min(values)),
        "median": float(np.median(values)),
        "mean": float(np.mean(values)),
        "max": int(max(values)),
    }


def _generation(folder: Path, settings: dict, n: int, device: str | None) -> dict:
    from qneuro.generators.decoding import SAMPLER, UNRECORDED_SAMPLER

    sampler = settings.get("sampler", UNRECORDED_SAMPLER)
    seeding = None  # how mapped circuits were seeded (other levels do not depend on it)
    if settings.get("level") == "mapped":
        seeding = settings.get("transpile_seed", UNRECORDED_SEEDING)
    return {
        "settings": settings,
        "seed": settings.get("seed"),
        "model": _model(settings.get("model", "default")),
        "device": device,
        "command": reproduce_command(folder, settings, n, device),
        "sampler": sampler,
        "transpile_seed": seeding,
        "reproduces": sampler == SAMPLER and seeding in (None, SEEDING),
    }


def _model(name: str) -> dict:
    """What the model folder records about itself and its training corpus."""
    from qneuro.generators.model import default_model_dir

    bundled = name == "default"
    path = default_model_dir() if bundled else Path(name)
    info: dict = {"name": "bundled" if bundled else name, "folder": str(path)}
    for file in ("training.json", "recipe.json"):
        try:
            data = checks.read_json_object(inside(path, file, what="model file"), what=file)
        except (FileNotFoundError, ValueError):
            continue
        if file == "training.json":
            info["parameters"] = data.get("parameters")
            info["config"] = data.get("config")
            info["best_val_loss"] = data.get("best_val_loss")
            info["train_sequences"] = data.get("train_sequences")
            info["training_corpus_path"] = data.get("corpus")
        else:
            info["training_corpus"] = data.get("corpus")
            info["corpus_command"] = data.get("corpus_command")
            info["train_command"] = data.get("train_command")
    corpus = info.get("training_corpus_path")
    if corpus and "training_corpus" not in info:
        try:
            summary = checks.read_json_object(Path(corpus) / "corpus.json", what="corpus")
            info["training_corpus"] = {
                k: summary.get(k) for k in ("real", "random", "families", "splits")
            }
        except (FileNotFoundError, ValueError):
            pass
    return info


def reproduce_command(folder: Path, settings: dict, n: int, device: str | None = None) -> str:
    """The ``qneuro generate`` command that writes this folder's circuits byte for byte.

    (When its ``sampler`` is this version's; the card says so otherwise.)
    """
    lo, hi = settings.get("qubits", [2, 10])
    args = ["qneuro", "generate", "--n", str(n), "--qubits", f"{lo}-{hi}", "--out", str(folder)]
    args += ["--seed", str(settings.get("seed", 0))]
    if settings.get("model", "default") != "default":
        args += ["--model", str(settings["model"])]
    options = [
        ("temperature", "--temperature", 1.0),
        ("top_k", "--top-k", None),
        ("top_p", "--top-p", None),
        ("family", "--family", None),
        ("batch_size", "--batch-size", DEFAULT_BATCH_SIZE),
        ("level", "--level", "indep"),
        ("backend", "--backend", None),
        ("format", "--format", "qasm2"),
    ]
    for key, flag, default in options:
        value = settings.get(key, default)
        if value != default:
            args += [flag, str(value)]
    if settings.get("basis_gates"):
        args += ["--basis-gates", ",".join(settings["basis_gates"])]
    if settings.get("coupling_map"):
        args += ["--coupling-map", ",".join(f"{a}-{b}" for a, b in settings["coupling_map"])]
    if settings.get("constrained") is False:
        args.append("--unconstrained")
    elif settings.get("normal_form") is False:
        args.append("--no-normal-form")
    if device and device != "cpu":
        args += ["--device", device]
    return shlex.join(args)


def _histograms(rows: list[dict], reference: str | Path | None) -> dict:
    """Histogram counts of generated (and real corpus) circuits; ``figure`` when real ones."""
    valid = [r for r in rows if r.get("valid") and isinstance(r.get("qubits"), int)]
    sizes = sorted({r["qubits"] for r in valid})
    sets = {"generated": [(r["qubits"], r["gates"], r["depth"]) for r in valid]}
    out: dict = {"bins": _GATE_BINS, "reference": None, "figure": None}
    if reference is not None and sizes:
        from qneuro.generators.corpus import Corpus
        from qneuro.generators.features import circuit_features

        corpus = Corpus.load(reference)
        real = [p for p in corpus.programs("mqt.bench") if sizes[0] <= p.num_qubits <= sizes[-1]]
        feats = [circuit_features(p) for p in real]
        sets["real"] = [(int(f["qubits"]), int(f["gates"]), int(f["depth"])) for f in feats]
        out["reference"] = {
            "corpus": str(reference),
            "real_circuits": len(real),
            "which": f"real (MQT Bench) circuits of every split at {sizes[0]}-{sizes[-1]} qubits",
        }
        out["figure"] = CARD_FIGURE
    for name, triples in sets.items():
        out[name] = {
            "qubits": {str(q): c for q, c in sorted(Counter(t[0] for t in triples).items())},
            "gates": np.histogram([t[1] for t in triples], bins=_GATE_BINS)[0].tolist(),
            "depth": np.histogram([t[2] for t in triples], bins=_GATE_BINS)[0].tolist(),
        }
    return out


def _figure(path: Path, histograms: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [k for k in ("generated", "real") if k in histograms]
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    sizes = sorted({int(q) for k in names for q in histograms[k]["qubits"]})
    width = 0.8 / len(names)
    for j, name in enumerate(names):
        counts = histograms[name]["qubits"]
        total = max(sum(counts.values()), 1)
        shares = [counts.get(str(q), 0) / total for q in sizes]
        axes[0].bar(np.array(sizes) + (j - (len(names) - 1) / 2) * width, shares, width, label=name)
    axes[0].set(title="circuits per qubit count", xlabel="qubits", ylabel="share")
    edges = np.array(_GATE_BINS)
    for ax, key in zip(axes[1:], ("gates", "depth"), strict=True):
        for name in names:
            counts = np.array(histograms[name][key], float)
            shares = counts / max(counts.sum(), 1)
            ax.stairs(shares, edges, label=name, linewidth=1.5)
        ax.set(xscale="log", title=f"{key} (log bins)", xlabel=key, ylabel="share")
    axes[0].legend()
    fig.tight_layout()
    atomic_save_figure(fig, path, dpi=80)
    plt.close(fig)


def _verification(result: dict, command: str | None, reference: str | Path | None) -> dict:
    kept = {k: v for k, v in result.items() if k not in ("failures", "figure")}
    failures = result.get("failures", {})
    kept["failures"] = dict(list(failures.items())[:MAX_CARD_FAILURES])
    kept["failure_count"] = len(failures)
    kept["reference"] = None if reference is None else str(reference)
    kept["command"] = command
    return kept


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def _num(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.4f}"


def render_markdown(card: dict, title: str) -> str:
    """``CARD.md`` of a card (see :func:`write_card`)."""
    from qneuro.generators.decoding import SAMPLER

    data, gen = card["dataset"], card["generation"]
    lines = [f"# Dataset card: {title}", ""]
    what = f"{data['circuits']} circuits ({data['valid']} valid), level `{data['level']}`"
    what += f", format `{data['format']}`" + (
        f", backend `{data['backend']}`" if data.get("backend") else ""
    )
    lines += [what + f"; written by qneuro {card['qneuro_version']}.", ""]
    lines += [f"Digest of the circuit files: `{data['digest']}`", ""]
    if gen is not None:
        lines += ["## Reproduce", "", "```bash", gen["command"], "```", ""]
        if gen["reproduces"]:
            note = "(writes the same bytes; `--threads` and `--workers` do not change them)"
        elif gen["sampler"] != SAMPLER:
            note = f"(these circuits were drawn by `{gen['sampler']}`; this version writes others)"
        else:
            note = (
                f"(these circuits were mapped with a transpiler seed {gen['transpile_seed']}; "
                "this version seeds per run and maps them otherwise)"
            )
        lines += [note, ""]
        model = gen["model"]
        lines += ["## Model", "", f"- model: {model['name']} (`{model['folder']}`)"]
        if model.get("parameters"):
            config = json.dumps(model.get("config"))
            lines.append(f"- parameters: {model['parameters']:,}; config: `{config}`")
        if model.get("training_corpus"):
            lines.append(f"- training corpus: `{json.dumps(model['training_corpus'])}`")
        if model.get("corpus_command"):
            lines.append(f"- corpus built with: `{model['corpus_command']}`")
        if model.get("training_corpus_path"):
            lines.append(
                f"- training corpus folder (as recorded): `{model['training_corpus_path']}`"
            )
        lines += ["", "## Settings", "", "| setting | value |", "| --- | --- |"]
        lines += [f"| {k} | `{json.dumps(v)}` |" for k, v in gen["settings"].items()]
        lines.append("")
    lines += ["## Counts", "", "| qubits | circuits | mean gates | mean depth |"]
    lines.append("| ---: | ---: | ---: | ---: |")
    for q, c in data["by_qubits"].items():
        lines.append(f"| {q} | {c['circuits']} | {c['mean_gates']:.1f} | {c['mean_depth']:.1f} |")
    lines += ["", "| family (token the model chose or was given) | circuits |", "| --- | ---: |"]
    lines += [f"| {f} | {c} |" for f, c in data["by_family"].items()]
    for key in ("gates", "depth"):
        s = data[key]
        if s:
            lines.append(f"\n{key}: min {s['min']}, median {s['median']:g}, max {s['max']}")
    hist = card["histograms"]
    lines += ["", "## Histograms", ""]
    bins = hist["bins"]
    labels = [f"{a}-{b - 1}" for a, b in zip(bins[:-1], bins[1:], strict=True)]
    names = [k for k in ("generated", "real") if k in hist]
    header = "| bin | " + " | ".join(f"{n} {k}" for k in ("gates", "depth") for n in names)
    lines += [header + " |", "| --- |" + " ---: |" * (2 * len(names))]
    for i, label in enumerate(labels):
        cells = [str(hist[n][k][i]) for k in ("gates", "depth") for n in names]
        if any(c != "0" for c in cells):
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
    if hist.get("figure"):
        ref = hist["reference"]
        lines += ["", f"![qubit, gate and depth histograms]({hist['figure']})", ""]
        lines.append(f"Real: {ref['real_circuits']} {ref['which']} of `{ref['corpus']}`.")
    else:
        lines += ["", "(no reference corpus known: figures need `--reference CORPUS`)"]
    lines += ["", "## Verification", ""]
    ver = card["verification"]
    if ver is None:
        lines.append(
            "Not verified yet: `qneuro generators verify "
            f"{shlex.quote(data['folder'])} --reference CORPUS` adds it here."
        )
    else:
        lines += _verification_lines(ver)
    return "\n".join(lines) + "\n"


def _verification_lines(ver: dict) -> list[str]:
    lines = []
    if ver.get("command"):
        lines += ["```bash", ver["command"], "```", ""]
    lines += [f"- validity: {_pct(ver.get('validity'))} ({ver.get('failure_count', 0)} failures)"]
    lines += [f"  - {check}" for check in ver.get("validity_checks", [])]
    lines += ["", "| judge | generated judged real | held-out real judged real | trained on |"]
    lines.append("| --- | ---: | ---: | --- |")
    for name, judge in (ver.get("judges") or {}).items():
        if judge.get("skipped"):
            lines.append(f"| {name} | skipped | | {judge.get('reason')} |")
            continue
        trained = ", ".join(f"{k} {v}" for k, v in judge.get("trained_on", {}).items())
        lines.append(
            f"| {name} | {_pct(judge['judged_real_generated'])} | "
            f"{_pct(judge['judged_real_held_out_real'])} | {trained} |"
        )
    lines += [
        "",
        f"- structure MMD² to the real test circuits: generated "
        f"{_num(ver.get('structure_distance_generated'))}, random "
        f"{_num(ver.get('structure_distance_random'))}, real training "
        f"{_num(ver.get('structure_distance_train'))}",
        f"- novelty: {_pct(ver.get('novelty'))} ({ver.get('exact_duplicates')} exact, "
        f"{ver.get('near_duplicates')} near duplicates of training circuits)",
    ]
    return lines

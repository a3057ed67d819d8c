"""Named noise profiles, reachable by a string.

===========================  ==============================================================
name                         profile
===========================  ==============================================================
``ideal``                    no noise
``depolarizing-P1-P2``       depolarizing ``P1`` on one-qubit, ``P2`` on two-qubit gates
                             (e.g. ``depolarizing-0.001-0.005``, the CRLQAS setting)
``mumbai``                   IBM Mumbai, per qubit and coupler, as ``NoiseModel.from_backend``
``mumbai-median``            Mumbai's median numbers on every qubit (see
                             :meth:`~qneuro.noise.device.Calibration.summary`)
``mumbai-max``               Mumbai's worst numbers on every qubit
``mumbai-10x-max``           ten times the worst gate errors (CRLQAS's strongest setting)
===========================  ==============================================================

The Mumbai numbers are a snapshot of qiskit-ibm-runtime's ``FakeMumbaiV2`` calibration
shipped in ``qneuro/noise/data/ibm_mumbai.json`` (regenerate with
``qneuro noise snapshot``), so the presets work without that package.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from pathlib import Path

from qneuro.files import output_folder

from .device import Calibration

#: Bundled calibration snapshots: device -> (file, fake backend class in qiskit-ibm-runtime).
DEVICES = {"mumbai": ("ibm_mumbai.json", "FakeMumbaiV2")}

_SUMMARIES = {"median": ("median", 1.0), "max": ("max", 1.0), "10x-max": ("max", 10.0)}
_DEPOLARIZING = re.compile(r"^depolarizing-(.+?)(?<![eE])-(.+)$")  # 1e-3 keeps its minus


def preset_names() -> list[str]:
    """Every fixed preset name (plus the pattern ``depolarizing-P1-P2``)."""
    names = ["ideal", "depolarizing-0.001-0.005"]
    for device in DEVICES:
        names += [device, *(f"{device}-{s}" for s in _SUMMARIES)]
    return names


def resolve(name: str) -> Calibration | tuple[float, float] | None:
    """What the preset ``name`` stands for (see the module docstring).

    Returns None for ``ideal``, ``(p1, p2)`` for ``depolarizing-P1-P2``, and the device's
    calibration (summarised for ``-median``, ``-max``, ``-10x-max``) for a device preset;
    :meth:`NoiseProfile.preset <qneuro.noise.NoiseProfile.preset>` builds the profile.
    """
    if not isinstance(name, str):
        raise TypeError(f"preset name must be a string, got {type(name).__name__}")
    if name == "ideal":
        return None
    match = _DEPOLARIZING.match(name)
    if match:
        try:
            return float(match.group(1)), float(match.group(2))
        except ValueError:
            raise ValueError(f"cannot read the probabilities in preset {name!r}") from None
    device, _, summary = name.partition("-")
    if device in DEVICES and (not summary or summary in _SUMMARIES):
        calibration = device_calibration(device)
        if not summary:
            return calibration
        statistic, scale = _SUMMARIES[summary]
        return calibration.summary(statistic, scale)
    raise ValueError(
        f"unknown noise preset {name!r}; allowed: {', '.join(preset_names())}, "
        "or depolarizing-P1-P2"
    )


@cache
def device_calibration(device: str) -> Calibration:
    """The bundled calibration snapshot of ``device`` (for example ``"mumbai"``)."""
    if device not in DEVICES:
        raise ValueError(f"unknown device {device!r}; bundled: {', '.join(DEVICES)}")
    text = resources.files("qneuro.noise").joinpath("data", DEVICES[device][0]).read_text()
    return Calibration.from_json(json.loads(text))


def snapshot(device: str) -> Calibration:
    """Read ``device``'s calibration from qiskit-ibm-runtime (needs the ``ibm`` extra)."""
    try:
        from qiskit_ibm_runtime import fake_provider
    except ImportError as exc:
        raise ImportError("snapshots need qiskit-ibm-runtime: pip install 'qneuro[ibm]'") from exc
    backend = getattr(fake_provider, DEVICES[device][1])()
    return Calibration.from_target(
        backend.target,
        name=device,
        source=f"qiskit_ibm_runtime.fake_provider.{DEVICES[device][1]}",
    )


def refresh_snapshots(folder: str | Path | None = None) -> list[Path]:
    """Rewrite every bundled snapshot from qiskit-ibm-runtime; returns the files written.

    Raises:
        UnsafePathError: ``folder`` is a file or lies under one (checked first).
    """
    folder = Path(__file__).parent / "data" if folder is None else output_folder(folder)
    written = []
    for device, (file, _) in DEVICES.items():
        snapshot(device).save(folder / file)
        written.append(folder / file)
    return written

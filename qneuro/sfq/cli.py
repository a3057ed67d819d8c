"""``qneuro sfq ...``: the XOR truth table, bias sweeps and training, and the demo step.

Commands (wired into ``qneuro`` by :func:`add_commands`):

* ``qneuro sfq xor [--design default|poisson-robust] [--source regular|poisson]
  [--calibration FILE|default|assumed] [--trials N] [--seed S] [--target numpy|cython]
  [--plot FILE] [--json]``
* ``qneuro sfq sweep [--trials N] [--exc LO:HI:STEP] [--inh LO:HI:STEP]
  [--calibration FILE|default|assumed] [--plot FILE] [--json]``
* ``qneuro sfq train [--trials N] [--calibration FILE|default|assumed] [--json]``
* ``qneuro sfq characterize [--trials N] [--temperature K] [--json] [--plot FILE]``
* ``qneuro sfq cells [--trials N] [--seed S] [--target numpy|cython] [--json] [--plot FILE]``
* ``qneuro sfq levels [--factors F,F,...] [--pulse-trials N] [--circuit-trials M]
  [--duration PS] [--seed S] [--target numpy|cython] [--plot FILE] [--json]``
* ``qneuro sfq calibrate [--trials N] [--points M] [--seed S] [--out FILE] [--json] [--plot FILE]``
* ``qneuro sfq digits [--digits N] [--trials K] [--test-size F] [--retrain [--epochs E]
  [--out FILE]] [--seed S] [--target numpy|cython] [--plot FILE] [--json]``

The ``xor``, ``sweep`` and ``train`` commands run the XOR on the shipped calibrated
synapse curve unless ``--calibration`` names another; the shipped settings' biases then
move to equal pass probability on that curve, and the default bias grids to the same
probability range.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from qneuro.commands import emit, finish, output_options, positive_number

__all__ = ["add_commands", "demo_step"]


def add_commands(commands) -> None:
    """Register the ``sfq`` command group on the top-level sub-parsers ``commands``."""
    sfq = commands.add_parser("sfq", help="superconducting SFQ neuromorphic networks (Brian2)")
    sub = sfq.add_subparsers(title="commands", metavar="COMMAND")

    xor = sub.add_parser("xor", help="truth table, margin, energy of the rate-coded XOR")
    xor.add_argument("--trials", type=int, default=200, help="trials per pattern (200)")
    xor.add_argument("--seed", type=int, default=0, help="random seed (0)")
    xor.add_argument(
        "--target",
        default="numpy",
        choices=["numpy", "cython"],
        help="brian2 code generation (numpy)",
    )
    xor.add_argument("--plot", default=None, help="write a pulse raster to this image file")
    xor.add_argument(
        "--design",
        default="default",
        choices=["default", "poisson-robust"],
        help="the shipped XOR (default) or the Poisson-robust one (4 hidden pairs, threshold 10)",
    )
    xor.add_argument(
        "--source",
        default=None,
        choices=["regular", "poisson"],
        help="input trains: regular DC-to-SFQ (random phase) or Poisson (default: the "
        "design's; regular for the default design, poisson for poisson-robust)",
    )
    _calibration_option(xor)
    output_options(xor)
    xor.set_defaults(run=_xor)

    sweep = sub.add_parser("sweep", help="XOR margin vs the two synapse bias currents")
    sweep.add_argument("--trials", type=int, default=30, help="trials per pattern and point")
    grid_help = (
        "bias grid LO:HI:STEP in uA on the synapse curve (default: 8 points over the "
        "probability range of the assumed curve's 95:130:5; 85.157 to 95.074 uA on the "
        "shipped calibration)"
    )
    sweep.add_argument("--exc", default=None, help=f"excitatory {grid_help}")
    sweep.add_argument("--inh", default=None, help=f"inhibitory {grid_help}")
    sweep.add_argument("--seed", type=int, default=0, help="random seed (0)")
    sweep.add_argument("--plot", default=None, help="write the margin heatmap to this file")
    sweep.add_argument(
        "--source", default="regular", choices=["regular", "poisson"], help="input trains (regular)"
    )
    _calibration_option(sweep)
    output_options(sweep)
    sweep.set_defaults(run=_sweep)

    train = sub.add_parser("train", help="search the bias currents for the widest margin")
    train.add_argument("--trials", type=int, default=40, help="trials per pattern and point")
    train.add_argument("--seed", type=int, default=0, help="random seed (0)")
    train.add_argument(
        "--source", default="regular", choices=["regular", "poisson"], help="input trains (regular)"
    )
    _calibration_option(train)
    output_options(train)
    train.set_defaults(run=_train)

    char = sub.add_parser(
        "characterize", help="RCSJ synapse junction: p(Ib), energy, ramp vs escape theory"
    )
    char.add_argument("--trials", type=int, default=200, help="trials per bias point (200)")
    char.add_argument(
        "--temperature",
        type=float,
        default=2.0,
        help="second temperature of p(Ib) in K, besides 4.2 K (2.0)",
    )
    char.add_argument(
        "--ramp-trials", type=int, default=None, help="ramp experiment trials (--trials; 0 skips)"
    )
    char.add_argument("--seed", type=int, default=0, help="random seed (0)")
    char.add_argument("--plot", default=None, help="write p(Ib) and the ramp histogram here")
    output_options(char)
    char.set_defaults(run=_characterize)

    cells = sub.add_parser(
        "cells",
        help="circuit-level cells: delays vs bias, synapse p(Ib), soma threshold, pulse area",
    )
    cells.add_argument("--trials", type=int, default=200, help="synapse trials per bias (200)")
    cells.add_argument("--seed", type=int, default=0, help="random seed (0)")
    cells.add_argument("--target", default="numpy", choices=["numpy", "cython"])
    cells.add_argument("--plot", default=None, help="write delays, p(Ib) and soma threshold here")
    output_options(cells)
    cells.set_defaults(run=_cells)

    levels = sub.add_parser(
        "levels", help="the XOR at pulse and circuit level: margins against the global bias"
    )
    levels.add_argument(
        "--factors",
        default="0.91,0.94,0.97,1.0,1.015,1.03",
        help="global bias factors, comma-separated (0.91,0.94,0.97,1.0,1.015,1.03; at most "
        "1.036, where the inhibitory synapse bias reaches the junction's Ic)",
    )
    levels.add_argument(
        "--pulse-trials", type=int, default=200, help="pulse-level trials per pattern (200)"
    )
    levels.add_argument(
        "--circuit-trials", type=int, default=10, help="circuit-level trials per pattern (10)"
    )
    levels.add_argument(
        "--duration",
        type=positive_number,
        default=None,
        help="counting window in ps (the setting's, 2000)",
    )
    levels.add_argument("--seed", type=int, default=0, help="random seed (0)")
    levels.add_argument("--target", default="numpy", choices=["numpy", "cython"])
    levels.add_argument("--plot", default=None, help="write margin vs global bias here")
    output_options(levels)
    levels.set_defaults(run=_levels)

    cal = sub.add_parser(
        "calibrate",
        help="fit the pulse-level synapse (p(Ib), energy per switch) to the RCSJ junction",
    )
    cal.add_argument("--trials", type=int, default=400, help="trials per bias point (400)")
    cal.add_argument("--points", type=int, default=11, help="bias points (11)")
    cal.add_argument("--seed", type=int, default=0, help="random seed (0)")
    cal.add_argument("--out", default=None, help="write the calibration file (JSON) here")
    cal.add_argument("--plot", default=None, help="write p(Ib) with the fitted curves here")
    output_options(cal)
    cal.set_defaults(run=_calibrate)

    dig = sub.add_parser(
        "digits", help="multi-layer SFQ classifier of the 8x8 digits, evaluated at pulse level"
    )
    dig.add_argument(
        "--digits", type=int, default=None, help="first N held-out digits (default: all)"
    )
    dig.add_argument("--trials", type=int, default=1, help="pulse-level trials per digit (1)")
    dig.add_argument(
        "--test-size",
        type=float,
        default=None,
        help="held-out fraction of the split (the network's own, 0.2; another needs --retrain)",
    )
    dig.add_argument(
        "--retrain", action="store_true", help="train the rate model again (seconds) first"
    )
    dig.add_argument("--epochs", type=int, default=300, help="training epochs with --retrain")
    dig.add_argument("--out", default=None, help="with --retrain: write the network (JSON) here")
    dig.add_argument("--seed", type=int, default=0, help="random seed (0)")
    dig.add_argument(
        "--target", default="numpy", choices=["numpy", "cython"], help="brian2 code generation"
    )
    dig.add_argument("--plot", default=None, help="write the confusion matrix to this file")
    output_options(dig)
    dig.set_defaults(run=_digits)


def _calibration_option(parser) -> None:
    parser.add_argument(
        "--calibration",
        default=None,
        metavar="FILE|default|assumed",
        help="synapse p(Ib) and energy: the shipped calibration (default), the assumed "
        "tanh curve, or a calibration file; on another curve than the one a setting was "
        "made on, its biases move to equal pass probability",
    )


def _grid(text: str, name: str):
    from .units import uamp

    parts = text.split(":")
    try:
        lo, hi, step = (float(p) for p in parts)
    except ValueError:
        raise ValueError(f"--{name} {text!r}: expected LO:HI:STEP in uA, e.g. 85:95:1") from None
    if not all(np.isfinite((lo, hi, step))):
        raise ValueError(f"--{name} {text!r}: LO, HI and STEP must be finite numbers (uA)")
    if step <= 0 or hi < lo:
        raise ValueError(f"--{name} {text!r}: need STEP > 0 and HI >= LO")
    values = np.arange(lo, hi + step / 2, step)
    if values.size > 40:
        raise ValueError(f"--{name} {text!r}: {values.size} points; at most 40")
    return values * uamp


def _print_table(result, echo) -> None:
    echo(
        f"SFQ rate-coded XOR, {result.trials} trials per pattern "
        f"(decision rate {result.setting.decision_rate})"
    )
    echo("   A B | rate (GHz)   95% CI            | out | trials correct")
    for row in result.truth_table():
        a, b = row["inputs"]
        lo, hi = row["ci_ghz"]
        echo(
            f"   {a} {b} | {row['rate_ghz']:8.3f}   [{lo:7.3f}, {hi:7.3f}] |  {row['output']}  "
            f"| {row['trial_accuracy']:.3f}"
        )
    echo(
        f"margin {result.margin:.4f} (worst case over the CIs {result.worst_case_margin:.4f}); "
        f"{'correct' if result.correct else 'WRONG'} truth table"
    )
    echo(
        f"energy per inference {float(result.energy_per_inference / _joule()):.3e} J; "
        f"{result.jj_count} JJ; first output pulse after {_ps(result.latency):.1f} ps "
        f"(nominal path {_ps(result.nominal_latency):.1f} ps); run {result.wall_time:.2f} s"
    )


def _setting(args):
    """The shipped setting with ``--source``, and the curve its biases refer to."""
    from dataclasses import replace

    from .xor import XOR_DESIGNS

    design = XOR_DESIGNS["default"]
    return replace(design.setting, source_kind=args.source), design.calibration


def _joule():
    from .units import joule

    return joule


def _ps(value) -> float:
    from .units import psecond

    return float(value / psecond)


def _plots():
    from . import plots

    return plots


def _check_trials(trials: int, limit: int = 100_000, option: str = "--trials") -> None:
    if trials < 1 or trials > limit:
        raise ValueError(f"{option} {trials}: must lie in [1, {limit}]")


def _xor_design(args):
    """``(setting, the curve its biases refer to)`` of ``--design`` with ``--source``."""
    from dataclasses import replace

    from .xor import XOR_DESIGNS

    design = XOR_DESIGNS[args.design]
    source = args.source or design.setting.source_kind
    return replace(design.setting, source_kind=source), design.calibration


def _calibrated(args, setting, home: str = "default"):
    """``(setting, synapse, line to print)`` for ``--calibration`` (default ``"default"``).

    ``home`` names the curve the setting's biases refer to (``"default"``, ``"assumed"``
    or a calibration file); on another curve the biases move to equal pass probability.
    """
    target = args.calibration or "default"
    from .calibration import load_calibration, xor_setting_on_curve
    from .units import uamp
    from .xor import xor_synapse

    synapse = xor_synapse(target)
    moved = target != home
    if moved:
        setting = xor_setting_on_curve(setting, xor_synapse(home).curve, synapse.curve)
    biases = (
        f"excitatory {float(setting.excitatory_bias / uamp):.3f}, inhibitory "
        f"{float(setting.inhibitory_bias / uamp):.3f}, output "
        f"{float(setting.output_bias / uamp):.3f} uA"
    )
    where = "biases at equal pass probability" if moved else "the design's biases"
    if target == "assumed":
        line = f"assumed synapse curve; {where}: {biases}"
    else:
        calibration = load_calibration(target)
        fit = calibration.fit
        line = (
            f"calibrated synapse ({target}): {fit.family} curve, I50 "
            f"{float(fit.i50 / uamp):.3f} uA, width {float(fit.width / uamp):.3f} uA, "
            f"{float(calibration.energy_per_switch / _joule()):.3e} J per switch; "
            f"{where}: {biases}"
        )
    return setting, synapse, line


def _xor(args) -> None:
    from qneuro.files import figure_file

    from .xor import evaluate_xor

    _check_trials(args.trials)
    figure_file(args.plot)
    setting, synapse, line = _calibrated(args, *_xor_design(args))
    result = evaluate_xor(
        setting,
        synapse=synapse,
        trials=args.trials,
        seed=args.seed,
        target=args.target,
        record=args.plot is not None,
        progress=not args.quiet,
    )
    print(f"design: {args.design}, {setting.source_kind} input trains")
    print(line)
    _print_table(result, print)
    out = {"design": args.design, **result.to_dict()}
    finish(args, out, plot=lambda path: _plots().plot_raster(result, path))


def _sweep(args) -> None:
    from qneuro.files import figure_file

    from .xor import default_bias_grid, sweep_xor

    _check_trials(args.trials, 10_000)
    exc = None if args.exc is None else _grid(args.exc, "exc")
    inh = None if args.inh is None else _grid(args.inh, "inh")
    figure_file(args.plot)
    setting, synapse, line = _calibrated(args, *_setting(args))
    if exc is None or inh is None:
        default = default_bias_grid("sweep", synapse)
        exc = default if exc is None else exc
        inh = default if inh is None else inh
    print(line)
    grid = sweep_xor(
        exc,
        inh,
        setting,
        trials=args.trials,
        synapse=synapse,
        seed=args.seed,
        progress=not args.quiet,
    )
    worst = grid["worst_case_margin"]
    e, i = np.unravel_index(np.argmax(worst), worst.shape)
    print(
        f"XOR margin over {worst.size} bias pairs x 4 patterns x {args.trials} trials "
        f"({grid['wall_s']:.1f} s)"
    )
    print("worst-case margin; rows: excitatory bias (uA), columns: inhibitory bias (uA)")
    print("        " + " ".join(f"{v:7.3f}" for v in grid["inhibitory_ua"]))
    for row, value in zip(worst, grid["excitatory_ua"], strict=True):
        print(f"{value:7.3f} " + " ".join(f"{m:7.3f}" for m in row))
    print(
        f"best: excitatory {grid['excitatory_ua'][e]:g} uA, inhibitory "
        f"{grid['inhibitory_ua'][i]:g} uA, worst-case margin {worst[e, i]:.4f}"
    )
    out = {
        "excitatory_ua": grid["excitatory_ua"],
        "inhibitory_ua": grid["inhibitory_ua"],
        "margin": grid["margin"].tolist(),
        "worst_case_margin": worst.tolist(),
        "trials": args.trials,
        "calibration": args.calibration or "default",
        "setting": setting.to_dict(),
        "wall_s": grid["wall_s"],
    }
    finish(args, out, plot=lambda path: _plots().plot_margin_heatmap(grid, path))


def _train(args) -> None:
    from .xor import evaluate_xor, train_xor

    _check_trials(args.trials, 10_000)
    setting, synapse, line = _calibrated(args, *_setting(args))
    print(line)
    best, report = train_xor(
        setting, synapse=synapse, trials=args.trials, seed=args.seed, progress=not args.quiet
    )
    for grid in report["grids"]:
        print(
            f"hidden threshold {grid['threshold']}: best worst-case margin "
            f"{grid['fine']['worst_case_margin'].max():.4f}"
        )
    print(f"best setting: {best.to_dict()}")
    check = evaluate_xor(
        best, trials=200, synapse=synapse, seed=args.seed + 100, progress=not args.quiet
    )
    _print_table(check, print)
    out = {
        "setting": best.to_dict(),
        "check": check.to_dict(),
        "trials": args.trials,
        "calibration": args.calibration or "default",
    }
    emit(args, out)


def _characterize(args) -> None:
    from qneuro.files import figure_file

    from .characterize import characterize
    from .units import kelvin

    _check_trials(args.trials, 10_000)
    if args.ramp_trials is not None and args.ramp_trials != 0:
        _check_trials(args.ramp_trials, 10_000, "--ramp-trials")
    if not (np.isfinite(args.temperature) and args.temperature >= 0):
        raise ValueError(f"--temperature {args.temperature}: must be a finite number >= 0 (K)")
    figure_file(args.plot)
    result = characterize(
        args.trials,
        temperature=args.temperature * kelvin,
        ramp_trials=args.ramp_trials,
        seed=args.seed,
    )
    out = result.to_dict()
    finish(
        args,
        out,
        text=_characterization_text(out),
        plot=lambda path: _plots().plot_characterization(result, path),
    )


def _characterization_text(out: dict) -> str:
    j = out["junction"]
    lines = [
        f"RCSJ junction: Ic {j['ic_a'] * 1e6:g} uA, C {j['capacitance_f'] * 1e15:.1f} fF, "
        f"R {j['resistance_ohm']:.2f} Ohm, beta_c {j['beta_c']:g}, "
        f"omega_p {j['plasma_frequency_rad_s']:.3e} rad/s, E_J {j['josephson_energy_j']:.3e} J",
        f"input pulse {out['pulse']['amplitude_ua']:g} uA, sigma {out['pulse']['width_ps']:g} ps; "
        f"noise-free threshold {out['threshold_ua']:.2f} uA; {out['trials']} trials per point "
        f"({out['wall_s']:.2f} s for the p(Ib) run)",
        "bias (uA) | " + " | ".join(f"p at {t:g} K" for t in out["temperatures_k"]),
    ]
    for k, bias in enumerate(out["biases_ua"]):
        lines.append(f"{bias:9.2f} | " + " | ".join(f"{row[k]:9.3f}" for row in out["probability"]))
    lines.append(
        f"energy per switching event {out['energy_per_event_j']:.3e} J "
        f"(bias part {out['bias_energy_per_event_j']:.3e} J; "
        f"Ib*Phi0 {out['bias_times_phi0_j']:.3e} J)"
    )
    ramp = out["ramp"]
    if ramp is not None:
        lines.append(
            f"ramp ({ramp['ic_ua']:g} uA junction, {ramp['temperature_k']:g} K, "
            f"{ramp['ramp_ua_per_ns']:g} uA/ns from {ramp['start_ua']:.3f} uA, "
            f"{ramp['trials']} trials): mean {ramp['mean_ua']:.4f} +- {ramp['sem_ua']:.4f} uA, "
            f"std {ramp['std_ua']:.4f} uA; escape theory mean {ramp['theory_mean_ua']:.4f} uA "
            f"(model tolerance {ramp['model_tolerance_ua']:.4f}), std {ramp['theory_std_ua']:.4f} "
            f"uA; KS p = {ramp['ks_pvalue']:.3f}"
        )
    return "\n".join(lines)


def _calibrate(args) -> None:
    from pathlib import Path

    from qneuro.files import figure_file

    from .calibration import calibrate, save_calibration

    _check_trials(args.trials, 100_000)
    if not 3 <= args.points <= 101:
        raise ValueError(f"--points {args.points}: must lie in [3, 101]")
    if args.out is not None and (args.out == "" or Path(args.out).is_dir()):
        raise ValueError(f"--out {args.out!r}: give a file name (JSON), not a folder")
    figure_file(args.plot)
    command = (
        f"qneuro sfq calibrate --trials {args.trials} --points {args.points} --seed {args.seed}"
    )
    result = calibrate(args.trials, points=args.points, seed=args.seed, command=command)
    out = result.to_dict()
    text = _calibration_text(out, result.wall_time)
    if args.out is not None:
        out["out"] = str(save_calibration(result, args.out))
        text += f"\nwrote {out['out']}"
    finish(
        args,
        out,
        text=text,
        plot=lambda path: _plots().plot_calibration(result, path),
    )


def _cells(args) -> None:
    from qneuro.files import figure_file

    from .circuit_characterize import characterize_cells

    _check_trials(args.trials, 10_000)
    figure_file(args.plot)
    result = characterize_cells(args.trials, seed=args.seed, target=args.target)
    out = result.to_dict()
    finish(
        args,
        out,
        text=_cells_text(out),
        plot=lambda path: _plots().plot_cells(result, path),
    )


def _factors(text: str) -> np.ndarray:
    try:
        values = np.array([float(v) for v in text.split(",")])
    except ValueError:
        raise ValueError(f"--factors {text!r}: expected numbers separated by commas") from None
    if values.size > 20 or not np.all(np.isfinite(values) & (values > 0)):
        raise ValueError(f"--factors {text!r}: need 1 to 20 positive finite numbers")
    return values


def _levels(args) -> None:
    from dataclasses import replace

    from qneuro.files import figure_file

    from .circuit_xor import compare_levels
    from .units import psecond
    from .xor import DEFAULT_XOR_SETTING

    _check_trials(args.pulse_trials, 10_000, "--pulse-trials")
    _check_trials(args.circuit_trials, 1_000, "--circuit-trials")
    factors = _factors(args.factors)
    setting = DEFAULT_XOR_SETTING
    if args.duration is not None:
        if args.duration > 100_000:
            raise ValueError(f"--duration {args.duration:g}: allowed: at most 100000 ps")
        setting = replace(setting, duration=args.duration * psecond)
    figure_file(args.plot)
    result = compare_levels(
        setting,
        factors,
        pulse_trials=args.pulse_trials,
        circuit_trials=args.circuit_trials,
        seed=args.seed,
        target=args.target,
        progress=not args.quiet,
    )
    out = result.to_dict()
    finish(
        args,
        out,
        text=_levels_text(out),
        plot=lambda path: _plots().plot_levels(result, path),
    )


def _levels_text(out: dict) -> str:
    lines = [
        "XOR margin (worst case) and rates 00/01/10/11 in GHz by global bias factor; "
        "pulse: shipped model (soma resets), pulse-decrement: its soma keeps n - 1 as the "
        f"circuit's does, circuit: circuit level at {out['cells']['temperature_k']:g} K; "
        f"{out['pulse_trials']} and {out['circuit_trials']} trials per pattern",
    ]
    for k, factor in enumerate(out["factors"]):
        for level, results in out["levels"].items():
            row = results[k]
            if row is None:
                lines.append(f"{factor:6.3f} {level:15s} no DC operating point")
                continue
            rates = "/".join(f"{r['rate_ghz']:.2f}" for r in row["truth_table"])
            accuracy = min(r["trial_accuracy"] for r in row["truth_table"])
            lines.append(
                f"{factor:6.3f} {level:15s} {'ok   ' if row['correct'] else 'WRONG'} margin "
                f"{row['margin']:7.3f} ({row['worst_case_margin']:7.3f})  rates {rates}  "
                f"worst pattern's trials correct {accuracy:.2f}  "
                f"{row['energy_per_inference_j']:.2e} J  {row['jj_count']} JJ  "
                f"noise-free latency {_optional_ps(row['nominal_latency_ps'])}"
            )
    lines.append(f"wall time {out['wall_time_s']:.1f} s")
    return "\n".join(lines)


def _optional_ps(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} ps"


def _cells_text(out: dict) -> str:
    names = list(out["delays_ps"])
    lines = [
        "cell delays (ps, noise off) by bias fraction; energy per pulse (J) at each:",
        "bias fraction | " + " | ".join(names),
    ]
    for k, fraction in enumerate(out["bias_fractions"]):
        cells = []
        for name in names:
            delay, energy = out["delays_ps"][name][k], out["energy_per_pulse_j"][name][k]
            cells.append("-" if delay is None else f"{delay:.2f} ({energy:.2e})")
        lines.append(f"{fraction:13.2f} | " + " | ".join(cells))
    areas = ", ".join(f"{a:.4f}" for a in out["pulse_areas_phi0"])
    lines.append(
        f"pulses along a JTL: area within 10 ps of the slip (Phi0) {areas}; peak "
        + ", ".join(f"{v:.3f}" for v in out["pulse_peak_mv"])
        + " mV; FWHM "
        + ", ".join(f"{w:.2f}" for w in out["pulse_fwhm_ps"])
        + " ps"
    )
    syn = out["synapse"]
    fit = syn["fit"]
    lines.append(
        f"synapse cell at {syn['temperature_k']:g} K, {syn['trials']} trials per bias "
        f"({syn['wall_time_s']:.1f} s): erf fit I50 {fit['i50_ua']:.3f} +- "
        f"{fit['i50_se_ua']:.3f} uA, width {fit['width_ua']:.3f} +- {fit['width_se_ua']:.3f} uA"
    )
    lines.append(
        "  p(Ib): "
        + ", ".join(
            f"{b:.2f}: {p:.3f}" for b, p in zip(syn["biases_ua"], syn["probability"], strict=True)
        )
    )
    soma = out["soma"]
    lines.append(
        "soma threshold (input fluxons to the first output; 0 = never) by fire bias (uA): "
        + ", ".join(
            f"{b:.0f}: {t}"
            for b, t in zip(soma["fire_biases_ua"], soma["threshold_fluxons"], strict=True)
        )
    )
    lines.append(
        "junctions per cell: " + ", ".join(f"{k} {v}" for k, v in out["jj_counts"].items())
    )
    lines.append(f"wall time {out['wall_time_s']:.1f} s")
    return "\n".join(lines)


def _calibration_text(out: dict, wall: float) -> str:
    curve, energy, delay = out["curve"], out["energy"], out["delay"]
    pulse = out["circuit"]["input_pulse"]
    lines = [
        f"circuit-level p(Ib): {out['circuit']['junction']['ic_a'] * 1e6:g} uA junction at "
        f"{out['circuit']['junction']['temperature_k']:g} K, input pulse "
        f"{pulse['amplitude_ua']:g} uA (sigma {pulse['width_ps']:g} ps), "
        f"{out['trials_per_point']} trials per point ({wall:.1f} s)",
        "bias (uA) | switched | fraction",
    ]
    n = out["trials_per_point"]
    for bias, k in zip(out["data"]["bias_ua"], out["data"]["switched"], strict=True):
        lines.append(f"{bias:9.3f} | {k:8d} | {k / n:8.4f}")
    lines += [
        f"fit ({curve['family']}, maximum likelihood): I50 {curve['i50_ua']:.3f} +- "
        f"{curve['i50_se_ua']:.3f} uA, width {curve['width_ua']:.3f} +- {curve['width_se_ua']:.3f}"
        f" uA; deviance {curve['deviance']:.2f} on {curve['dof']} dof (p = "
        f"{curve['gof_pvalue']:.3f}); log L {curve['log_likelihood']:.2f} vs "
        f"{curve['other_family_log_likelihood']:.2f} for {curve['other_family']}",
        f"energy per switch at I50: {energy['per_switch_at_i50_j']:.4e} +- "
        f"{energy['per_switch_at_i50_se_j']:.1e} J ({energy['total_over_bias_phi0']:.4f} Ib*Phi0;"
        f" bias part {energy['bias_part_over_bias_phi0']:.4f} Ib*Phi0; {energy['events']} events)",
        "junction delay, input peak to end of slip: "
        f"{delay['input_peak_to_slip_at_i50_ps']:.2f} +- "
        f"{delay['input_peak_to_slip_at_i50_se_ps']:.2f} ps at I50, "
        f"{delay['input_peak_to_slip_at_top_bias_ps']:.2f} ps at the top bias (not used: the "
        "cell delay stays assumed)",
    ]
    return "\n".join(lines)


def _digits(args) -> None:
    from pathlib import Path

    from qneuro.files import figure_file

    from .digits import evaluate_digits, load_digits_network, save_digits_network, train_digits

    _check_trials(args.trials, 1000)
    if args.digits is not None and args.digits < 1:
        raise ValueError(f"--digits {args.digits}: must be >= 1")
    if args.test_size is not None and not 0.05 <= args.test_size <= 0.5:
        raise ValueError(f"--test-size {args.test_size}: must lie in [0.05, 0.5]")
    if not args.retrain and args.out is not None:
        raise ValueError("--out writes a retrained network; give --retrain too")
    if args.out is not None and (args.out == "" or Path(args.out).is_dir()):
        raise ValueError(f"--out {args.out!r}: give a file name (JSON), not a folder")
    if args.retrain and not 1 <= args.epochs <= 10_000:
        raise ValueError(f"--epochs {args.epochs}: must lie in [1, 10000]")
    figure_file(args.plot)
    if args.retrain:
        test_size = 0.2 if args.test_size is None else args.test_size
        command = f"qneuro sfq digits --retrain --epochs {args.epochs} --test-size {test_size}"
        network = train_digits(epochs=args.epochs, test_size=test_size, command=command)
        print(
            f"trained in {network.training['wall_s']:.1f} s; rate-model held-out accuracy "
            f"{network.training['rate_model_test_accuracy']:.4f}"
        )
    else:
        network = load_digits_network()
        if args.test_size is not None and args.test_size != network.test_size:
            raise ValueError(
                f"--test-size {args.test_size}: the shipped network was trained against the "
                f"{network.test_size} split; another split needs --retrain"
            )
    result = evaluate_digits(
        network,
        digits=args.digits,
        trials=args.trials,
        seed=args.seed,
        target=args.target,
        progress=not args.quiet,
    )
    out = result.to_dict()
    if args.out is not None:
        out["out"] = str(save_digits_network(network, args.out))
    finish(
        args,
        out,
        text=_digits_text(out),
        plot=lambda path: _plots().plot_confusion(result, path),
    )


def _digits_text(out: dict) -> str:
    sizes = " -> ".join(str(s) for s in out["layer_sizes"])
    lines = [
        f"SFQ digits classifier {sizes} (thresholds {out['thresholds']}), "
        f"{out['source_kind']} input trains up to {out['max_rate_ghz']:g} GHz",
        f"pulse-level accuracy {out['accuracy']:.4f} +- {out['accuracy_se']:.4f} over "
        f"{out['trials']} held-out trials; rate model {out['rate_model_accuracy']:.4f}",
        "confusion (rows: true 0-9, columns: predicted 0-9)",
    ]
    lines += [" ".join(f"{v:3d}" for v in row) for row in out["confusion"]]
    if "out" in out:
        lines.append(f"wrote {out['out']}")
    lines.append(
        f"{out['jj_count']} JJ; energy per inference {out['energy_per_inference_j']:.3e} J; "
        f"window {out['window_ps']:.0f} ps, winner's first pulse {out['first_pulse_ps']:.0f} ps "
        f"(nominal path {out['nominal_latency_ps']:.0f} ps); run {out['wall_s']:.1f} s"
    )
    return "\n".join(lines)


def demo_step(progress: bool, echo: Callable[[str], None]) -> dict:
    """The XOR truth table with 50 trials per pattern (a few seconds); returns key numbers."""
    from .xor import evaluate_xor

    echo(
        "Brian2 single-flux-quantum XOR: stochastic bias-current synapses, "
        "fluxon-counting somas, 50 trials x 4 patterns in one run"
    )
    result = evaluate_xor(trials=50, seed=0, progress=progress)
    _print_table(result, echo)
    out = result.to_dict()
    out.pop("setting")
    return out

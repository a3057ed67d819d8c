"""A Josephson junction at circuit level: the RCSJ model with Johnson noise, in Brian2.

Model (resistively and capacitively shunted junction, SI units)::

    C (Phi0/2pi) phi'' + (Phi0/(2pi R)) phi' + Ic sin(phi) = I(t) + I_n(t)
    V = (Phi0/2pi) phi'                       (a 2pi slip is one pulse of area Phi0)

``I_n`` is the Johnson current of the shunt ``R`` at temperature ``T``: white noise of
one-sided spectral density ``4kT/R``, i.e. ``<I_n(t) I_n(t')> = (2kT/R) delta(t - t')``,
written for brian2 as ``sqrt(2kT/R) * xi`` (brian2's ``xi`` has units ``second**-0.5``
and ``<xi(t) xi(t')> = delta(t - t')``). The drive of each row is

    I(t) = i_bias + ramp * t + i_pulse * exp(-(t - t_pulse)**2 / (2 w_pulse**2))

(a DC bias, a linear ramp, and a Gaussian SFQ-like input current pulse).

Derived quantities (:class:`Junction` properties; the helpers below take quantities):

* Josephson energy ``E_J = Phi0 Ic / 2pi`` (3.29e-20 J at 100 uA);
* plasma frequency ``omega_p = sqrt(2pi Ic / (Phi0 C))`` (angular, rad/s);
* Stewart-McCumber parameter ``beta_c = 2pi Ic R^2 C / Phi0`` (``= (omega_p R C)^2``);
* characteristic frequency ``omega_c = 2pi Ic R / Phi0`` (angular).

Process (:mod:`.constants`): critical-current density 100 uA/um^2 (MIT-LL SFQ5ee),
specific capacitance 60 fF/um^2 (assumption), shunt chosen for ``beta_c = 1``, 4.2 K.
A 100 uA junction then has area 1 um^2, C = 60 fF, R = 7.41 Ohm (Ic R = 0.74 mV),
omega_p = 2.25e12 rad/s (f_p = 358 GHz); omega_p depends on the process only.

Integration (:func:`junction_group`): Euler-Maruyama (brian2 ``method='euler'``; for
additive noise brian2's stochastic ``'heun'`` is the same scheme), first order in
``dt``. With ``dt = 0.01 ps`` (``omega_p dt = 0.0225``) it heats the junction slightly:
``<C V^2>/kT`` = 1.034 and ``<E_J phi^2>/kT`` = 1.020 (measured; ``tests/sfq/
test_junction.py``). Trials are batched: one ``NeuronGroup`` row per trial, all rows in
one brian2 run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from brian2 import Quantity

from .constants import (
    DEFAULT_IC,
    K_B,
    OPERATING_TEMPERATURE,
    PHI0,
    PROCESS_BETA_C,
    PROCESS_CS,
    PROCESS_JC,
)
from .units import check_quantity, farad, ffarad, hertz, joule, kelvin, ohm, psecond, uamp, umetre
from .units import default_quantity as _default

__all__ = [
    "Junction",
    "josephson_energy",
    "plasma_frequency",
    "stewart_mccumber",
    "shunt_resistance",
    "junction_group",
    "RCSJ_EQUATIONS",
    "JUNCTION_DT",
    "SWITCH_PHASE",
]

#: Time step of the circuit-level model: omega_p dt = 0.0225 at the default process
#: (see the module docstring and the equipartition test).
JUNCTION_DT = 0.01 * psecond

#: A trial has switched when its phase first exceeds this (rad): past the barrier top
#: (at ``pi - arcsin(i) <= pi``) by at least pi, on the way into the next well, so that
#: thermal re-crossing back is negligible. Rows start in the well at ``arcsin(i) < pi/2``.
SWITCH_PHASE = 2 * np.pi


def josephson_energy(ic: Quantity) -> Quantity:
    """``E_J = Phi0 Ic / 2pi`` (joule) of a junction of critical current ``ic``."""
    ic = check_quantity(ic, uamp, "ic", minimum=0, strict_minimum=True, allow_array=True)
    return PHI0 * ic / (2 * np.pi)


def plasma_frequency(ic: Quantity, capacitance: Quantity) -> Quantity:
    """Angular plasma frequency ``omega_p = sqrt(2pi Ic / (Phi0 C))`` (rad/s, as hertz)."""
    ic = check_quantity(ic, uamp, "ic", minimum=0, strict_minimum=True, allow_array=True)
    c = check_quantity(
        capacitance, farad, "capacitance", minimum=0, strict_minimum=True, allow_array=True
    )
    return np.sqrt(2 * np.pi * ic / (PHI0 * c))


def stewart_mccumber(ic: Quantity, resistance: Quantity, capacitance: Quantity) -> float:
    """``beta_c = 2pi Ic R^2 C / Phi0`` (dimensionless; 1 = critically damped SFQ junction)."""
    ic = check_quantity(ic, uamp, "ic", minimum=0, strict_minimum=True)
    r = check_quantity(resistance, ohm, "resistance", minimum=0, strict_minimum=True)
    c = check_quantity(capacitance, farad, "capacitance", minimum=0, strict_minimum=True)
    return float(2 * np.pi * ic * r**2 * c / PHI0)


def shunt_resistance(ic: Quantity, capacitance: Quantity, beta_c: float) -> Quantity:
    """The ``R`` that gives ``beta_c``: ``sqrt(beta_c Phi0 / (2pi Ic C))`` (ohm)."""
    ic = check_quantity(ic, uamp, "ic", minimum=0, strict_minimum=True)
    c = check_quantity(capacitance, farad, "capacitance", minimum=0, strict_minimum=True)
    if not (np.isfinite(beta_c) and beta_c > 0):
        raise ValueError(f"beta_c={beta_c!r} must be a finite number > 0")
    return np.sqrt(beta_c * PHI0 / (2 * np.pi * ic * c))


@dataclass(frozen=True, eq=False)
class Junction:
    """A shunted junction of a standard process, at a temperature.

    Args:
        ic: critical current (default 100 uA).
        critical_current_density: Jc of the process (default 100 uA/um^2, SFQ5ee);
            sets the area ``ic / Jc``.
        specific_capacitance: capacitance per area (default 60 fF/um^2, assumption).
        beta_c: Stewart-McCumber parameter the shunt is chosen for (default 1).
        temperature: of the shunt's Johnson noise (default 4.2 K; 0 K = no noise).
    """

    ic: Quantity = _default(DEFAULT_IC)
    critical_current_density: Quantity = _default(PROCESS_JC)
    specific_capacitance: Quantity = _default(PROCESS_CS)
    beta_c: float = PROCESS_BETA_C
    temperature: Quantity = _default(OPERATING_TEMPERATURE)

    def __post_init__(self) -> None:
        positive = {"minimum": 0, "strict_minimum": True}
        fields = (
            ("ic", uamp, positive),
            ("critical_current_density", uamp / umetre**2, positive),
            ("specific_capacitance", ffarad / umetre**2, positive),
            ("temperature", kelvin, {"minimum": 0}),
        )
        for name, unit, bounds in fields:
            value = check_quantity(getattr(self, name), unit, f"Junction.{name}", **bounds)
            object.__setattr__(self, name, value)
        beta_c = self.beta_c
        if isinstance(beta_c, bool) or not isinstance(beta_c, int | float) or not beta_c > 0:
            raise ValueError(f"Junction.beta_c={beta_c!r} must be a number > 0")
        if not np.isfinite(beta_c):
            raise ValueError(f"Junction.beta_c={beta_c!r} must be finite")
        object.__setattr__(self, "beta_c", float(beta_c))

    @property
    def area(self) -> Quantity:
        """``ic / Jc`` (m^2)."""
        return self.ic / self.critical_current_density

    @property
    def capacitance(self) -> Quantity:
        """``C = C_s * area`` (farad)."""
        return self.specific_capacitance * self.area

    @property
    def resistance(self) -> Quantity:
        """Shunt ``R`` for ``beta_c`` (ohm); see :func:`shunt_resistance`."""
        return shunt_resistance(self.ic, self.capacitance, self.beta_c)

    @property
    def josephson_energy(self) -> Quantity:
        """``E_J = Phi0 Ic / 2pi`` (joule)."""
        return josephson_energy(self.ic)

    @property
    def plasma_frequency(self) -> Quantity:
        """Angular ``omega_p = sqrt(2pi Ic / (Phi0 C))`` (rad/s, as hertz)."""
        return plasma_frequency(self.ic, self.capacitance)

    @property
    def characteristic_frequency(self) -> Quantity:
        """Angular ``omega_c = 2pi Ic R / Phi0`` (rad/s, as hertz)."""
        return 2 * np.pi * self.ic * self.resistance / PHI0

    @property
    def thermal_energy(self) -> Quantity:
        """``k_B T`` (joule)."""
        return K_B * self.temperature

    @property
    def noise_ratio(self) -> float:
        """``k_B T / E_J`` (dimensionless): the thermal scale of escape."""
        return float(self.thermal_energy / self.josephson_energy)

    def to_dict(self) -> dict:
        """Parameters and derived quantities in SI numbers (JSON-ready)."""
        return {
            "ic_a": float(self.ic),
            "critical_current_density_a_per_m2": float(self.critical_current_density),
            "specific_capacitance_f_per_m2": float(self.specific_capacitance),
            "beta_c": self.beta_c,
            "temperature_k": float(self.temperature / kelvin),
            "capacitance_f": float(self.capacitance),
            "resistance_ohm": float(self.resistance / ohm),
            "josephson_energy_j": float(self.josephson_energy / joule),
            "plasma_frequency_rad_s": float(self.plasma_frequency / hertz),
            "noise_ratio_kt_over_ej": self.noise_ratio,
        }


#: The RCSJ model of the module docstring as a first-order system in brian2 (``v`` is
#: ``dphi/dt`` in rad/s; ``energy`` integrates ``I(t) V`` and ``bias_energy``
#: ``i_bias V``). The input pulse is evaluated once per step (``constant over dt``):
#: substituted into the integrator, sympy would split its exponent into factors that
#: overflow. Per-row parameters: the drive, ``noise`` (``sqrt(2 k_B T / R)``,
#: amp*sqrt(second)) and the junction's ``ic``, ``r``, ``c``.
RCSJ_EQUATIONS = """
dphi/dt = v : 1
dv/dt = (drive - ic*sin(phi) - phi0*v/(2*pi*r) + noise*xi)*2*pi/(phi0*c) : hertz
denergy/dt = drive*phi0*v/(2*pi) : joule
dbias_energy/dt = i_bias*phi0*v/(2*pi) : joule
drive = i_bias + ramp*t + pulse : amp
pulse = i_pulse*exp(-0.5*((t - t_pulse)/w_pulse)**2) : amp (constant over dt)
i_bias : amp (constant)
ramp : amp/second (constant)
i_pulse : amp (constant)
t_pulse : second (constant)
w_pulse : second (constant)
noise : amp*second**0.5 (constant)
ic : amp (constant)
r : ohm (constant)
c : farad (constant)
phi_start : 1 (constant)
t_switch : second
"""


def junction_group(
    junctions,
    *,
    i_bias: Quantity,
    ramp: Quantity | None = None,
    i_pulse: Quantity | None = None,
    t_pulse: Quantity | None = None,
    w_pulse: Quantity | None = None,
    dt: Quantity = JUNCTION_DT,
    codeobj_class=None,
    method: str = "euler",
):
    """One brian2 ``NeuronGroup`` of RCSJ junctions, one row per trial.

    Args:
        junctions: a :class:`Junction` for every row, or one for all rows.
        i_bias: DC bias per row, shape ``(n,)`` (sets ``n``), amp.
        ramp: bias ramp per row (amp/second; default 0).
        i_pulse: Gaussian input pulse amplitude per row (default: no pulse).
        t_pulse: its centre (second).
        w_pulse: its width, sigma (second, > 0).
        dt: time step (default :data:`JUNCTION_DT`).
        codeobj_class: brian2 code object class (default: brian2's preference).
        method: brian2 integrator (``"euler"``: Euler-Maruyama, for additive noise).

    Rows start at rest in their well: ``phi = arcsin(i_bias / ic)`` (needs
    ``|i_bias| < ic``), ``v = 0``. The group's threshold records ``t_switch``, the first
    time ``phi - phi_start`` exceeds :data:`SWITCH_PHASE` (``-1 s`` if never).
    """
    import brian2 as b2

    i_bias = check_quantity(i_bias, uamp, "i_bias", allow_array=True)
    n = int(np.asarray(i_bias).size)
    if n < 1:
        raise ValueError("i_bias must hold at least one row")
    if isinstance(junctions, Junction):
        junctions = [junctions] * n
    junctions = list(junctions)
    if len(junctions) != n or not all(isinstance(j, Junction) for j in junctions):
        raise ValueError(f"junctions must be one Junction or {n} of them (one per row)")
    ic = np.array([float(j.ic) for j in junctions])
    i0 = np.asarray(i_bias, dtype=float).ravel()
    if np.any(np.abs(i0) >= ic):
        raise ValueError("every row's i_bias must lie strictly inside (-ic, ic)")
    group = b2.NeuronGroup(
        n,
        RCSJ_EQUATIONS,
        threshold="phi - phi_start > switch_phase and t_switch < 0*second",
        reset="t_switch = t",
        method=method,
        dt=dt,
        name="rcsj*",
        namespace={"phi0": PHI0, "switch_phase": SWITCH_PHASE},
        codeobj_class=codeobj_class,
    )
    group.ic = ic * b2.amp
    group.r = np.array([float(j.resistance) for j in junctions]) * ohm
    group.c = np.array([float(j.capacitance) for j in junctions]) * farad
    group.noise = np.array(
        [float(np.sqrt(2 * j.thermal_energy / j.resistance)) for j in junctions]
    ) * (b2.amp * b2.second**0.5)
    group.i_bias = i0 * b2.amp
    group.phi = np.arcsin(i0 / ic)
    group.phi_start = np.arcsin(i0 / ic)
    group.v = 0 * hertz
    group.t_switch = -1 * b2.second
    for name, value, unit in (
        ("ramp", ramp, b2.amp / b2.second),
        ("i_pulse", i_pulse, b2.amp),
        ("t_pulse", t_pulse, b2.second),
        ("w_pulse", w_pulse, b2.second),
    ):
        if value is not None:
            value = check_quantity(value, unit, name, allow_array=True)
            setattr(group, name, np.broadcast_to(np.asarray(value, dtype=float), (n,)) * unit)
    if i_pulse is None:
        group.w_pulse = 1 * b2.second  # any width: the pulse amplitude is zero
    elif t_pulse is None or w_pulse is None or np.any(np.asarray(group.w_pulse[:]) <= 0):
        raise ValueError("an input pulse needs t_pulse and a width w_pulse > 0")
    return group

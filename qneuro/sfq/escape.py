r"""Thermal escape of a current-biased junction: the oracle for the RCSJ simulations.

At normalised bias ``i = I / Ic`` (``0 <= i < 1``) the phase sits in a well of the
tilted washboard ``U(phi) = -E_J (cos(phi) + i phi)``. Conventions used throughout:

* barrier ``dU = 2 E_J (sqrt(1 - i^2) - i arccos(i))`` (exact washboard; near ``i = 1``
  it is ``(4 sqrt(2)/3) E_J (1 - i)^(3/2)``, :func:`cubic_barrier`);
* small-oscillation (attempt) frequency at the well bottom and the barrier top, both
  ``omega_a = omega_p (1 - i^2)^(1/4)`` (angular);
* quality factor at the bias ``Q_a = omega_a R C`` (``= sqrt(beta_c) (1-i^2)^(1/4)``);
* rate ``Gamma = A(delta) a_K (omega_a / 2pi) exp(-dU / kT)`` (1/s), with

  - Kramers' moderate-to-strong damping factor ``a_K = sqrt(1 + alpha^2) - alpha``,
    ``alpha = 1 / (2 Q_a)`` (Kramers, Physica 7, 284 (1940));
  - the Mel'nikov-Meshkov energy-diffusion factor ``A(delta) = exp((1/pi) \int_0^inf
    ln(1 - exp(-delta (x^2 + 1/4))) / (x^2 + 1/4) dx)`` (``A -> delta`` for small
    delta; J. Chem. Phys. 85, 1018 (1986)), ``delta = (36/5) dU / (Q_a kT)`` the
    energy lost in one swing at the barrier energy in units of kT (Buttiker, Harris,
    Landauer, PRB 28, 1268 (1983), whose low-damping factor
    ``4 / (sqrt(1 + 4/delta) + 1)^2`` is the same physics).

  SFQ junctions are critically damped (``beta_c ~ 1``, ``Q_a <= 1``), so ``delta`` is
  tens to hundreds and ``A ~ 1``: the rate is Kramers' spatial-diffusion rate, which
  reduces it by ``a_K ~ 0.4`` to ``0.6`` below the transition-state rate
  ``omega_a / 2pi exp(-dU/kT)``. Both are valid for ``dU >> kT``; corrections are
  ``O(kT / dU)``.

Under a linear ramp ``I(t) = I0 + Idot t`` from a junction at rest in its well, the
switching current has the Fulton-Dunkleberger distribution (PRB 9, 4760 (1974))::

    P(I) = 1 - exp(-(1/Idot) \int_{I0}^{I} Gamma(I') dI')     (P = 1 at I >= Ic)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from brian2 import Quantity

from .junction import Junction
from .units import amp, check_quantity, hertz, second, uamp

__all__ = [
    "barrier_height",
    "cubic_barrier",
    "attempt_frequency",
    "kramers_factor",
    "energy_diffusion_factor",
    "escape_rate",
    "RampDistribution",
    "ramp_distribution",
]


def _reduced(junction: Junction, bias) -> np.ndarray:
    bias = check_quantity(bias, uamp, "bias", allow_array=True)
    i = np.asarray(bias / junction.ic, dtype=float)
    if np.any(i < 0) or np.any(i >= 1):
        raise ValueError("bias must lie in [0, ic) for a barrier to exist")
    return i


def barrier_height(junction: Junction, bias) -> Quantity:
    """Exact washboard barrier ``2 E_J (sqrt(1 - i^2) - i arccos(i))`` (joule, bias's shape)."""
    i = _reduced(junction, bias)
    return 2 * junction.josephson_energy * (np.sqrt(1 - i**2) - i * np.arccos(i))


def cubic_barrier(junction: Junction, bias) -> Quantity:
    """The cubic approximation ``(4 sqrt(2)/3) E_J (1 - i)^(3/2)`` (joule), for ``i -> 1``."""
    i = _reduced(junction, bias)
    return 4 * np.sqrt(2) / 3 * junction.josephson_energy * (1 - i) ** 1.5


def attempt_frequency(junction: Junction, bias) -> Quantity:
    """Angular ``omega_a = omega_p (1 - i^2)^(1/4)`` (rad/s, as hertz)."""
    i = _reduced(junction, bias)
    return junction.plasma_frequency * (1 - i**2) ** 0.25


def _quality(junction: Junction, i: np.ndarray) -> np.ndarray:
    return np.sqrt(junction.beta_c) * (1 - i**2) ** 0.25


def kramers_factor(junction: Junction, bias) -> np.ndarray:
    """``a_K = sqrt(1 + alpha^2) - alpha``, ``alpha = 1 / (2 omega_a R C)`` (dimensionless)."""
    alpha = 1 / (2 * _quality(junction, _reduced(junction, bias)))
    return np.sqrt(1 + alpha**2) - alpha


def energy_diffusion_factor(delta) -> np.ndarray:
    """Mel'nikov-Meshkov ``A(delta)`` (module docstring); ``A -> 1`` for ``delta >> 1``.

    Args:
        delta: energy loss per swing over kT, any shape, > 0.
    """
    delta = np.asarray(delta, dtype=float)
    if np.any(~np.isfinite(delta)) or np.any(delta <= 0):
        raise ValueError("delta must be finite and > 0")
    flat = delta.ravel()
    if flat.size > 64:  # A varies slowly: tabulate it in log(delta) and interpolate
        table = np.geomspace(flat.min(), flat.max(), 64)
        values = np.log(energy_diffusion_factor(table))
        return np.exp(np.interp(np.log(flat), np.log(table), values)).reshape(delta.shape)
    # the integrand is even in x and decays like exp(-delta x^2) / x^2; x = x_max u^2
    # puts half the points within x_max / 4 of the peak at 0
    x_max = np.maximum(8 / np.sqrt(flat), 50.0)
    x = np.linspace(0.0, 1.0, 4001)[None, :] ** 2 * x_max[:, None]
    s = x**2 + 0.25
    integrand = np.log(-np.expm1(-flat[:, None] * s)) / s
    integral = np.trapezoid(integrand, x, axis=1)  # over (0, inf): (1/pi) x this
    return np.exp(integral / np.pi).reshape(delta.shape)


def escape_rate(junction: Junction, bias, *, damping: bool = True) -> Quantity:
    """Thermal escape rate ``Gamma(bias)`` (1/s, as hertz; bias's shape).

    Args:
        junction: the junction (its temperature must be > 0).
        bias: bias currents in ``[0, ic)``.
        damping: apply ``A(delta) a_K`` (default); False gives the transition-state
            rate ``(omega_a / 2pi) exp(-dU / kT)``.
    """
    kt = junction.thermal_energy
    if not float(kt) > 0:
        raise ValueError("escape_rate needs a junction temperature > 0 K")
    i = _reduced(junction, bias)
    du = np.asarray(barrier_height(junction, bias) / kt, dtype=float)
    rate = np.asarray(attempt_frequency(junction, bias) / hertz) / (2 * np.pi) * np.exp(-du)
    if damping:
        delta = np.maximum(36 / 5 * du / _quality(junction, i), 1e-12)
        rate = rate * kramers_factor(junction, bias) * energy_diffusion_factor(delta)
    return rate * hertz


@dataclass(frozen=True, eq=False)
class RampDistribution:
    """Fulton-Dunkleberger switching-current distribution of a ramp (module docstring).

    Attributes:
        currents: grid from the start current to ``ic``, amp, shape ``(m,)``.
        cdf: ``P(I)`` on the grid (the remaining mass switches at ``ic``).
        mean, std: of the switching current (amp), with the mass left at ``ic`` counted.
        barrier_at_mean: ``dU / kT`` at the mean switching current.
        delta_at_mean: energy loss per swing over kT there (``A ~ 1`` when large).
    """

    currents: Quantity
    cdf: np.ndarray
    mean: Quantity
    std: Quantity
    barrier_at_mean: float
    delta_at_mean: float

    def quantile(self, p: float) -> Quantity:
        """Current at which ``P`` reaches ``p`` (``ic`` if it does not below ``ic``)."""
        grid = np.asarray(self.currents / amp)
        k = int(np.searchsorted(self.cdf, p))
        return (grid[k] if k < grid.size else grid[-1]) * amp

    def cdf_at(self, currents) -> np.ndarray:
        """``P(I)`` at ``currents`` (1 at and above ``ic``)."""
        currents = np.asarray(check_quantity(currents, uamp, "currents", allow_array=True))
        grid = np.asarray(self.currents / amp)
        return np.where(currents >= grid[-1], 1.0, np.interp(currents, grid, self.cdf))


def ramp_distribution(
    junction: Junction,
    start: Quantity,
    ramp: Quantity,
    *,
    points: int = 20_001,
    damping: bool = True,
    rate_scale: float = 1.0,
) -> RampDistribution:
    """Fulton-Dunkleberger distribution for a ramp from rest at ``start`` (amp) at ``ramp``.

    Args:
        junction: the junction (temperature > 0).
        start: the bias at which the ramp starts, in ``[0, ic)``.
        ramp: ``dI/dt`` (amp/second, > 0).
        points: grid points from ``start`` to ``ic``.
        damping: passed to :func:`escape_rate`.
        rate_scale: multiplies the rate (to see how far a prefactor error moves it).
    """
    start = check_quantity(start, uamp, "start", minimum=0)
    ramp = check_quantity(ramp, amp / second, "ramp", minimum=0, strict_minimum=True)
    ic = float(junction.ic)
    if not float(start) < ic:
        raise ValueError("start must be below ic")
    grid = np.linspace(float(start), ic, points)
    inner = grid[:-1] * amp  # the rate diverges at ic; the last interval uses its left end
    rate = rate_scale * np.asarray(escape_rate(junction, inner, damping=damping) / hertz)
    rate = np.append(rate, rate[-1])
    integral = np.concatenate(([0.0], np.cumsum(0.5 * (rate[1:] + rate[:-1]) * np.diff(grid))))
    cdf = -np.expm1(-integral / float(ramp))
    # moments: density on the grid plus the mass 1 - P(ic) that switches at ic
    pdf_mass = np.diff(cdf)
    centres = 0.5 * (grid[1:] + grid[:-1])
    tail = 1.0 - cdf[-1]
    mean = float(np.sum(pdf_mass * centres) + tail * ic)
    var = float(np.sum(pdf_mass * (centres - mean) ** 2) + tail * (ic - mean) ** 2)
    mean_q = min(mean, ic * (1 - 1e-12)) * amp
    du_mean = float(barrier_height(junction, mean_q) / junction.thermal_energy)
    i_mean = mean / ic
    delta_mean = 36 / 5 * du_mean / float(_quality(junction, np.asarray(i_mean)))
    return RampDistribution(
        currents=grid * amp,
        cdf=cdf,
        mean=mean * amp,
        std=np.sqrt(var) * amp,
        barrier_at_mean=du_mean,
        delta_at_mean=delta_mean,
    )

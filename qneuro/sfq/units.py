"""The brian2 units the SFQ API speaks, and checks that turn bad quantities into ValueError.

The public API takes and returns brian2 quantities: times in ``psecond``, currents in
``uamp``, rates in ``Ghertz``, flux in ``weber``, energies in ``joule``; the junction model
(:mod:`.junction`) adds ``kelvin``, ``ohm``, ``ffarad`` and ``umetre``. The checks here
name the offending argument and what is allowed, instead of letting brian2 raise a
``DimensionMismatchError`` from deep inside a run.
"""

from __future__ import annotations

from dataclasses import field

import numpy as np
from brian2 import Quantity
from brian2.units.allunits import (
    Ghertz,
    amp,
    farad,
    ffarad,
    hertz,
    joule,
    kelvin,
    ohm,
    phenry,
    psecond,
    second,
    uamp,
    umetre,
    volt,
    weber,
)
from brian2.units.fundamentalunits import DIMENSIONLESS, get_dimensions

__all__ = [
    "Ghertz",
    "amp",
    "farad",
    "ffarad",
    "hertz",
    "joule",
    "kelvin",
    "ohm",
    "phenry",
    "psecond",
    "second",
    "uamp",
    "umetre",
    "volt",
    "weber",
    "check_quantity",
    "default_quantity",
]


def check_quantity(
    value,
    unit: Quantity,
    name: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    strict_minimum: bool = False,
    allow_array: bool = False,
) -> Quantity:
    """Return ``value`` as a quantity with the dimensions of ``unit``, checked.

    Args:
        value: a brian2 quantity (scalar, or array when ``allow_array``).
        unit: a unit whose dimensions ``value`` must have (e.g. ``psecond``).
        name: the argument name used in error messages.
        minimum: lower bound in SI units of ``unit``'s dimension (inclusive unless
            ``strict_minimum``).
        maximum: upper bound in SI units (inclusive).
        strict_minimum: require ``value > minimum``.
        allow_array: accept arrays; otherwise the value must be a scalar.

    Raises:
        ValueError: wrong dimensions, not finite, non-scalar, or out of bounds.
    """
    dims = get_dimensions(unit)
    if get_dimensions(value) is not dims:
        if get_dimensions(value) is DIMENSIONLESS and not isinstance(value, Quantity):
            raise ValueError(
                f"{name}={value!r} has no unit; give it in {unit!s} (e.g. {value!r} * {unit!s})"
            )
        raise ValueError(f"{name}={value!r} must have the dimensions of {unit!s}")
    array = np.asarray(value, dtype=float)
    if array.ndim and not allow_array:
        raise ValueError(f"{name} must be a scalar, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name}={value!r} must be finite")
    unit_value = float(np.asarray(unit))
    if minimum is not None:
        low = array <= minimum if strict_minimum else array < minimum
        if np.any(low):
            relation = ">" if strict_minimum else ">="
            raise ValueError(
                f"{name}={value!r} must be {relation} {minimum / unit_value:g} {unit!s}"
            )
    if maximum is not None and np.any(array > maximum):
        raise ValueError(f"{name}={value!r} must be <= {maximum / unit_value:g} {unit!s}")
    return Quantity(array, dim=dims) if allow_array else Quantity(float(array), dim=dims)


def default_quantity(value: Quantity):
    """A dataclass field defaulting to ``value`` (quantities are arrays, so unhashable)."""
    return field(default_factory=lambda: value)

"""Ray, locally or on a cluster: the one place qneuro connects to it.

``ray_session(address)`` yields a connected Ray: with ``address=None`` a local Ray with
this machine's CPUs (or ``num_cpus``), started and stopped by the session; with
``"auto"`` the cluster this machine belongs to (started with ``ray start``); with
``"HOST:PORT"`` or ``"ray://HOST:PORT"`` that cluster. A Ray already initialised in this
process (a notebook, a test) is used as it is and left running.

Ray is optional (``pip install "qneuro[ray]"``); :func:`require_ray` names the extra when
it is missing.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Iterator

#: ``--address`` forms besides ``auto``: ``HOST:PORT`` and ``ray://HOST:PORT``.
ADDRESS_PATTERN = re.compile(r"(ray://)?[A-Za-z0-9_.\-\[\]:]+:[0-9]{1,5}")

#: Tune's old console output is the quiet one: qneuro prints its own table.
os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")


def require_ray():
    """Import and return :mod:`ray` (with Tune); an ImportError names the extra."""
    try:
        import ray
        import ray.tune  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f'this needs Ray with Tune ({exc}); install it with: pip install "qneuro[ray]"'
        ) from None
    return ray


def check_address(address: str | None) -> str | None:
    """``address`` if it is None, ``auto``, ``HOST:PORT`` or ``ray://HOST:PORT``."""
    if address is None or address == "auto" or ADDRESS_PATTERN.fullmatch(address):
        return address
    raise ValueError(
        f"address={address!r}; allowed: auto, HOST:PORT, ray://HOST:PORT, or none for a local Ray"
    )


@contextlib.contextmanager
def ray_session(address: str | None = None, num_cpus: int | None = None) -> Iterator:
    """Yield :mod:`ray`, connected as the module docstring says.

    Args:
        address: None (local), ``auto``, ``HOST:PORT`` or ``ray://HOST:PORT``.
        num_cpus: CPUs of a local Ray (default: this machine's); only with ``address=None``.
    """
    address = check_address(address)
    if num_cpus is not None and address is not None:
        raise ValueError(f"num_cpus={num_cpus} sets a local Ray's size; not with an address")
    ray = require_ray()
    if ray.is_initialized():
        yield ray
        return
    options = {
        "include_dashboard": False,
        "log_to_driver": False,
        "logging_level": logging.ERROR,
        "configure_logging": True,
    }
    if address is None:
        ray.init(num_cpus=num_cpus, **options)
    else:
        ray.init(address=address, **options)
    try:
        yield ray
    finally:
        ray.shutdown()

"""Ray, locally or on a cluster: the one place qneuro connects to it.

``ray_session(address)`` yields a connected Ray: with ``address=None`` a new local Ray with
this machine's CPUs (or ``num_cpus``), started and stopped by the session, even when a
``ray start`` cluster runs on this machine or ``RAY_ADDRESS`` is set; with
``"auto"`` the cluster this machine belongs to (started with ``ray start``); with
``"HOST:PORT"`` that cluster (Ray's token authentication, on by default in Ray 2.60:
the token of ``~/.ray/auth_token`` or ``RAY_AUTH_TOKEN``, with ``RAY_AUTH_MODE=token``).
A Ray already initialised in this process (a notebook, a test) is used as it is and left
running.

Ray Client addresses (``ray://``) are refused: through Ray Client, Tune runs its loop on
the cluster, out of the command's reach. Run the command on a cluster node instead
(``--address auto``, e.g. with ``ray job submit``).

Ray is optional (``pip install "qneuro[ray]"``); :func:`require_ray` names the extra when
it is missing.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import socket
from collections.abc import Iterator

#: ``--address`` forms besides ``auto``: ``HOST:PORT``.
ADDRESS_PATTERN = re.compile(r"[A-Za-z0-9_.\-\[\]:]+:[0-9]{1,5}")

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
    """``address`` if it is None, ``auto`` or ``HOST:PORT``; a ValueError otherwise."""
    if address is None or address == "auto" or ADDRESS_PATTERN.fullmatch(address):
        return address
    if address.startswith("ray://"):
        raise ValueError(
            f"address={address!r}: Ray Client addresses are not supported; run the command "
            "on a cluster node with --address auto (e.g. through ray job submit)"
        )
    raise ValueError(
        f"address={address!r}; allowed: auto or HOST:PORT (omit --address for a local Ray)"
    )


def _check_reachable(address: str, timeout_s: float = 10.0) -> None:
    """A ValueError naming ``HOST:PORT`` when nothing answers there within ``timeout_s``."""
    host, _, port = address.rpartition(":")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s).close()
    except OSError as exc:
        raise ValueError(
            f"address={address!r}: no Ray answers there ({exc.strerror or exc}); start it "
            "with ray start --head, or omit --address for a local Ray"
        ) from None


@contextlib.contextmanager
def ray_session(address: str | None = None, num_cpus: int | None = None) -> Iterator:
    """Yield :mod:`ray`, connected as the module docstring says.

    Args:
        address: None (local), ``auto`` or ``HOST:PORT``.
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
        ray.init(address="local", num_cpus=num_cpus, **options)  # not one found running
    else:
        if address != "auto":
            _check_reachable(address)  # ray.init would retry an unreachable one for ever
        ray.init(address=address, **options)
    try:
        yield ray
    finally:
        ray.shutdown()

"""Commands that need root on the host (apt-get install/update, adding a deb-src entry): run as they are
by root, through `sudo -n` by a user whose sudo asks no password, and refused otherwise with a message
saying what to run. Standard library only."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Sequence


@functools.cache
def root_prefix() -> tuple[str, ...] | None:
    """() as root; ("sudo", "-n") where sudo works without a password; None where neither."""
    if os.geteuid() == 0:
        return ()
    sudo = shutil.which("sudo")
    if sudo is None:
        return None
    try:
        ok = subprocess.run([sudo, "-n", "true"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        ok = False
    return (sudo, "-n") if ok else None


def can_be_root() -> bool:
    return root_prefix() is not None


def as_root(argv: Sequence[str]) -> list[str]:
    """argv to run with root's rights (see root_prefix); the caller checks can_be_root() first. sudo resets
    the environment: apt's non-interactive front end and the C locale are passed on explicitly."""
    prefix = root_prefix()
    if prefix is None:
        raise PermissionError(f"needs root (or sudo without a password): {' '.join(argv)}")
    if not prefix:
        return list(argv)
    return [*prefix, "env", "DEBIAN_FRONTEND=noninteractive", "LC_ALL=C", *argv]

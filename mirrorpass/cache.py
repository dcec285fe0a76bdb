"""Where mirrorpass keeps what it fetches and builds: ``$MIRRORPASS_CACHE`` if set, else
``~/.cache/mirrorpass``. Standard library only and cheap to import: mirror-cc asks on every call."""

from __future__ import annotations

import os
from pathlib import Path

ENV_CACHE = "MIRRORPASS_CACHE"


def cache_base() -> Path:
    env = os.environ.get(ENV_CACHE)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "mirrorpass"

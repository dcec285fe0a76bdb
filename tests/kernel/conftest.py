"""Tests that boot Debian's kernel under qemu (TCG): see qemu_vm.py. Makes `import qemu_vm` work."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

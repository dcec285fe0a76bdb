"""Booting Debian's kernel under qemu to run programs against the real memory-failure path
(MADV_HWPOISON): the kernel tests and `mirrorpass campaign --real` use it (qemu.py)."""

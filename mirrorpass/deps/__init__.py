"""The protected program's dependencies: which libraries it loads and which mirror-cc built
(closure.py), mirror-cc's check after a link (check.py), `mirrorpass deps install` (install.py) and
the prefix it fills, which mirror-cc and mirror-build use (prefix.py)."""

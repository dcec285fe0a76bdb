"""The protected program's dependencies: which libraries it loads and which mirror-cc built
(closure.py), mirror-cc's check after a link (check.py)."""

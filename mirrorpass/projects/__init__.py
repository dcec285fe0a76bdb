"""Real C projects from Debian's sources: fetching them (debian_sources) and how each is built and
exercised (the benchmark workloads in mirrorpass/bench, the correctness tests in tests/realworld)."""

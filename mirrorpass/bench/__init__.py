"""`mirrorpass bench`: the real projects built natively, mirrored (both addressings) and with ASan,
their workloads run interleaved; results as one JSON file for `mirrorpass report`."""

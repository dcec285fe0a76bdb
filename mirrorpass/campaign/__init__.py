"""`mirrorpass campaign`: fault-injection campaigns. Each run of a program loses pages at a random
moment; its outcome is classified against a run without losses, for the native and the mirrored build
side by side (outcomes.py: classes and confidence intervals; subjects.py: how one build is run;
runner.py: golden runs, scheduling, the result; projects.py: the real-project workloads)."""

# Entry points. `make demo` and `make test` work on a fresh machine: both run the set-up first.
.PHONY: setup demo test runtime clean

setup:
	./scripts/setup.sh

demo: setup
	./examples/run_demo.sh

# `make test SKIP_SLOW=1` leaves out the tests marked slow: real projects from Debian's sources, the
# kernel under qemu, the quick bench (README, "Tests").
test: setup
	.venv/bin/python -m pytest -q tests $(if $(SKIP_SLOW),-m "not slow")

runtime:
	$(MAKE) -C runtime

clean:
	$(MAKE) -C runtime clean
	rm -rf build

# Entry points. `make demo` and `make test` work on a fresh machine: both run the set-up first.
.PHONY: setup demo test runtime clean

setup:
	./scripts/setup.sh

demo: setup
	./examples/run_demo.sh

test: setup
	.venv/bin/python -m pytest -q tests

runtime:
	$(MAKE) -C runtime

clean:
	$(MAKE) -C runtime clean
	rm -rf build

"""mirror-build: run a project's build with mirror-cc as its C compiler (shims.py), follow what each
compile did through the build log mirror-cc appends to (state.py), show it live and sum it up
(view.py, summary.py). runner.py ties them together; cli/mirror_build.py is only the command line."""

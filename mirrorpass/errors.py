"""The one exception family of mirrorpass: every expected failure is a MirrorError with a message
that says what failed, the values involved and the fix; the CLI prints it without a traceback."""


class MirrorError(Exception):
    """A failure the user can act on. `exit_code` is what the command returns."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


class ToolchainError(MirrorError):
    """clang-22 or llvmlite is missing or the two disagree on the LLVM version."""


class CompileError(MirrorError):
    """A source could not be compiled through the mirror pass."""


class ClangFailed(CompileError):
    """clang rejected the input and has already printed its diagnostic: exit with its code, silently."""

"""The program's exit codes and the two errors it reports by name (PROTOCOL.md, "Exit codes")."""

EXIT_OK, EXIT_FAILED, EXIT_BAD_JOB, EXIT_NO_TORCH = 0, 1, 2, 3


class JobError(Exception):
    """The job file is unreadable or asks for something this program cannot do (exit code 2)."""

    name = "JobError"


class CheckpointError(Exception):
    """A checkpoint cannot be read, written or resumed; `code` as the studio's CheckpointError."""

    name = "CheckpointError"

    def __init__(self, code, path, message):
        super().__init__(message)
        self.code = code
        self.path = path

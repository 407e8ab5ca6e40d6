"""User-facing errors. Each kind has its own exit code so scripts can tell them apart."""


class VaereportError(Exception):
    """An error the user can fix; the message says what is wrong and how to fix it."""

    exit_code = 1


class ParameterError(VaereportError):
    """A parameter file or override is malformed, unknown, mistyped or out of range."""

    exit_code = 2


class ProfileError(ParameterError):
    """The requested profile does not exist."""

    exit_code = 3


class DataMissingError(VaereportError):
    """A dataset could not be found in any known location."""

    exit_code = 4


class DataCorruptError(VaereportError):
    """A dataset file exists but is truncated or its content does not match the checksum."""

    exit_code = 5


class OutputError(VaereportError):
    """The output directory cannot be written."""

    exit_code = 6


class TrainingDivergedError(VaereportError):
    """The training loss became NaN or infinite."""

    exit_code = 7


class AnalysisFailedError(VaereportError):
    """An analysis notebook raised; its partial notebook is kept for inspection."""

    exit_code = 8


class RenderError(VaereportError):
    """The report could not be rendered."""

    exit_code = 9


class UpstreamMissingError(VaereportError):
    """An analysis needs the outputs of another analysis that has not been run."""

    exit_code = 10


class OutputsModifiedError(VaereportError):
    """An analysis's outputs differ from what its run recorded (a file edited or deleted since)."""

    exit_code = 11


class BuildBusyError(VaereportError):
    """Another process holds the build folder's lock and --no-wait was given."""

    exit_code = 12


class StudyIncompleteError(VaereportError):
    """Some cells of a grid failed (the others completed and are kept); running it again retries them."""

    exit_code = 15


class ClusterError(VaereportError):
    """The Dask scheduler could not be reached or started."""

    exit_code = 16


def interrupted_exit_code(signum: int) -> int:
    """The shell's convention: 128 + the signal number (130 for Ctrl-C, 143 for SIGTERM)."""
    return 128 + signum

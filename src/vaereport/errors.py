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


def did_you_mean(word: object, choices) -> str:
    """" (did you mean 'epochs'?)" for the closest of `choices` to `word`, or "" when none is close."""
    import difflib

    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def yaml_problem(exc: Exception) -> str:
    """A PyYAML error in one line: what is wrong and where ('line 3, column 7: expected ',' or ']'')."""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    mark = getattr(exc, "problem_mark", None)
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}" if mark is not None else problem

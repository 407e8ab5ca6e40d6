"""A failure inside an analysis notebook reaches the user as the project error it carries."""

from pathlib import Path

from vaereport.errors import AnalysisFailedError, ParameterError
from vaereport.execution.kernel import _notebook_error


class PapermillLike(Exception):
    def __init__(self, ename, evalue):
        super().__init__(evalue)
        self.ename, self.evalue = ename, evalue


def test_a_project_error_raised_in_the_notebook_keeps_its_class_and_message():
    error = _notebook_error(PapermillLike("ParameterError", "epochs must be >= 1"), "q1_vae_mnist", Path("x.ipynb"))
    assert isinstance(error, ParameterError) and str(error) == "epochs must be >= 1"
    other = _notebook_error(PapermillLike("ValueError", "bad shape"), "q1_vae_mnist", Path("failed/q1.ipynb"))
    assert isinstance(other, AnalysisFailedError) and "failed/q1.ipynb" in str(other)

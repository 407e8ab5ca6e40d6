"""The report: facts read from the outputs (findings, robustness), filled into the templates and rendered."""

"""Executing analyses: the run store, crash recovery, cache keys, locks, the notebook kernel and the runner."""

"""Errors a stage reports as a short message (no traceback) before exiting non-zero."""


class StageError(RuntimeError):
    """A stage cannot go on; the message says what is wrong and which file or setting to change."""


class ValidationFailedError(StageError):
    """The raw table fails critical expectations of its suite."""


class TrackingUnavailableError(StageError):
    """The MLflow tracking server does not answer; the stage stops before doing any work."""


class TrackingStoreError(StageError):
    """The MLflow store cannot take the stage's run as it is (e.g. its experiment was deleted)."""

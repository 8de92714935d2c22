"""A baseline-first tabular pipeline: validate -> split -> baseline -> compare.

Run with DVC (``dvc repro``), tracked with MLflow; ``python -m <package> --help`` lists
the stages.
"""

__version__ = "0.1.0"

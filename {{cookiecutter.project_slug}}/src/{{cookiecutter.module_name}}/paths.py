"""Every file the stages read or write, relative to the project root; dvc.yaml lists the same."""

from pathlib import Path

VALIDATION_DIR = Path("reports/validation")
VALIDATION_RESULT = VALIDATION_DIR / "result.json"
VALIDATION_REPORT = VALIDATION_DIR / "report.html"

SPLIT_DIR = Path("data/split")
TRAIN = SPLIT_DIR / "train.parquet"
TEST = SPLIT_DIR / "test.parquet"
#: Small tables (no test split): the out-of-fold rows of each fold, and the chosen method.
FOLDS = SPLIT_DIR / "folds.parquet"
EVALUATION = SPLIT_DIR / "evaluation.json"
SPLIT_METRICS = Path("reports/split/metrics.json")

CANDIDATES_DIR = Path("candidates")
BASELINE_CANDIDATES = CANDIDATES_DIR / "baseline"
BASELINE_MODELS = Path("models/baseline")
BASELINE_REPORTS = Path("reports/baseline")
BASELINE_METRICS = BASELINE_REPORTS / "metrics.json"
BASELINE_CV_RESULTS = BASELINE_REPORTS / "cv_results.csv"
BASELINE_PLOTS = BASELINE_REPORTS / "plots"

DEEP_CANDIDATES = CANDIDATES_DIR / "deep"
DEEP_MODELS = Path("models/deep")
DEEP_REPORTS = Path("reports/deep")
DEEP_METRICS = DEEP_REPORTS / "metrics.json"
DEEP_HISTORY = DEEP_REPORTS / "history.csv"

COMPARE_REPORTS = Path("reports/compare")
COMPARE_METRICS = COMPARE_REPORTS / "metrics.json"
COMPARE_TABLE = COMPARE_REPORTS / "comparison.md"
COMPARE_INTERVALS = COMPARE_REPORTS / "intervals.csv"
COMPARE_STATISTICS = COMPARE_REPORTS / "statistics.json"
COMPARE_PLOT = COMPARE_REPORTS / "intervals.png"
MODEL_CARD = Path("reports/model_card.md")
#: What each model learned (coefficients, importance, partial dependence, calibration).
EXPLAIN_DIR = Path("reports/explain")
#: One self-contained page: validation, candidates, comparison, explanations.
REPORT = Path("reports/report.html")
#: The summary `dvc metrics show` prints: champion and each candidate's primary metric.
METRICS = Path("reports/metrics.json")

ROW_ID = "row_id"

"""Export scikit-learn's bundled real tables as the template's sample CSVs.

The tables ship inside scikit-learn (no download): breast cancer (569 x 31, binary),
wine (178 x 14, three classes) and diabetes (442 x 11, regression, unscaled values).
Run from the template root: ``python scripts/export_sample_tables.py``.
"""

from pathlib import Path

from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine

RAW = Path("{{cookiecutter.project_slug}}/data/raw")


def main() -> None:
    """Write breast_cancer.csv, wine.csv and diabetes.csv under the template's data/raw/."""
    RAW.mkdir(parents=True, exist_ok=True)
    cancer = load_breast_cancer(as_frame=True)
    frame = cancer.frame.drop(columns="target")
    frame["diagnosis"] = cancer.target.map(dict(enumerate(cancer.target_names)))
    frame.to_csv(RAW / "breast_cancer.csv", index=False)

    wine = load_wine(as_frame=True)
    frame = wine.frame.drop(columns="target")
    frame["cultivar"] = wine.target.map(dict(enumerate(wine.target_names)))
    frame.to_csv(RAW / "wine.csv", index=False)

    diabetes = load_diabetes(as_frame=True, scaled=False)
    frame = diabetes.frame.rename(columns={"target": "disease_progression"})
    frame.to_csv(RAW / "diabetes.csv", index=False)


if __name__ == "__main__":
    main()

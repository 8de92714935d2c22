"""``reports/report.html``: one self-contained page to look at after ``dvc repro``.

The validation summary, the candidates, the comparison intervals and every explanation
(:mod:`.explanations`), with each picture embedded as a base64 ``data:`` URI and the
styles inline: the file opens offline, attached to an e-mail or from the MLflow UI.
Rendered with Jinja2, autoescaping on, so column names and values from the data are text,
never markup.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment
from markupsafe import Markup

from .explanations import Explanations

#: Rows of a long table shown in the report (the CSV files hold every row).
ROWS = 20

TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{ title }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: right; }
th { background: #f3f3f3; }
td:first-child, th:first-child { text-align: left; }
img { max-width: 100%; border: 1px solid #eee; margin: 0.5em 0; }
.warning { background: #fff4e5; border-left: 4px solid #f0a020; padding: 0.5em 1em; }
.failed { color: #b00020; font-weight: bold; }
.passed { color: #1b7f3b; font-weight: bold; }
</style>
</head>
<body>
<h1>{{ title }}</h1>
<p><strong>Champion: {{ champion }}</strong>. {{ reason }}.</p>
{% for notice in notices %}<p class="warning">{{ notice }}.</p>
{% endfor %}
<p>Evaluation: {{ evaluation }}.</p>

<h2>Validation</h2>
<p>Table <code>{{ validation.data_path }}</code>: {{ validation.rows }} rows x
{{ validation.columns }} columns, suite <code>{{ validation.suite_path }}</code>:
<span class="{{ 'passed' if validation.success else 'failed' }}">
{{ 'passed' if validation.success else 'FAILED' }}</span>
({{ validation.expectations | length }} expectations, {{ validation.failed_critical }} critical
and {{ validation.failed_warning }} warning failures). The full validation result:
<code>{{ validation_report }}</code>.</p>
{% if failed %}{{ failed }}{% endif %}

<h2>Candidates</h2>
<p>The champion first, then the reference, then the others by {{ metric }}.</p>
{{ candidates }}

<h2>Comparison</h2>
<p>{{ rule }}</p>
{% for title, image in comparison_images %}<h3>{{ title }}</h3>
<img alt="{{ title }}" src="{{ image }}">
{% endfor %}

<h2>What the models learned</h2>
{% for note in notes %}<p class="warning">{{ note }}.</p>
{% endfor %}
{% if coefficients %}<h3>Linear model coefficients</h3>
<p>Per column after preprocessing, largest first: numeric columns on the standardised scale
(per standard deviation), one-hot levels as <code>column=value</code> against none.
{{ coefficient_note }}</p>
{{ coefficients }}{% endif %}
{% if importance %}<h3>Permutation importance</h3>
<p>Drop in {{ metric }} when one original column is shuffled ({{ repeats }} shuffles each),
on {{ importance_rows }}. Mean and standard deviation; the {{ ranked_by }} column sorts.</p>
{{ importance }}{% endif %}
{% if brier %}<h3>Calibration</h3>
<p>Brier score (mean squared error of the predicted probabilities; lower is better).</p>
{{ brier }}{% endif %}
{% for title, image in explanation_images %}<h3>{{ title }}</h3>
<img alt="{{ title }}" src="{{ image }}">
{% endfor %}
<h2>Other plots</h2>
{% for title, image in other_images %}<h3>{{ title }}</h3>
<img alt="{{ title }}" src="{{ image }}">
{% endfor %}
<p>Model card: <code>{{ model_card }}</code>.</p>
</body>
</html>
"""


def embed(path: Path) -> str:
    """A PNG as a ``data:`` URI (base64), so that the page needs no other file."""
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _table(frame: pd.DataFrame, rows: int = ROWS) -> Markup:
    """An HTML table of the first ``rows`` rows, its cells escaped by pandas."""
    html = frame.head(rows).to_html(index=False, float_format="{:.4f}".format, escape=True)
    return Markup(html)


def render_report(
    *,
    title: str,
    task: str,
    champion: str,
    reason: str,
    notices: list[str],
    evaluation: str,
    validation: dict[str, Any],
    validation_report: Path,
    table: pd.DataFrame,
    metric: str,
    rule: str,
    comparison_images: dict[str, Path],
    explanations: Explanations,
    repeats: int,
    other_images: dict[str, Path],
    model_card: Path,
) -> str:
    """Render the report page.

    Parameters
    ----------
    title : str
        The MLflow experiment (the project).
    task : {"binary", "multiclass", "regression"}
    champion, reason : str
    notices : list of str
        Warnings, shown under the champion.
    evaluation : str
        The evaluation plan and the rows behind every number.
    validation : dict
        ``reports/validation/result.json``.
    validation_report : Path
    table : DataFrame of shape (n_candidates, n_columns)
        The comparison table.
    metric : str
        The primary metric.
    rule : str
        How the champion is chosen (:func:`.champion.rule_statement`).
    comparison_images : dict of str to Path
        Title and PNG of the comparison plots (the intervals).
    explanations : Explanations
        With its ``images`` filled (:func:`.explanations.write_explanations`).
    repeats : int
        ``explain.importance_repeats``.
    other_images : dict of str to Path
        Every other picture of the run (the baseline stage's plots).
    model_card : Path

    Returns
    -------
    str
        The HTML page; every image embedded.
    """
    e = explanations
    failed = [x for x in validation.get("expectations", []) if not x.get("success")]
    importance = None
    if e.importance:
        wide = pd.concat(
            {
                name: t.set_index("feature")[["importance_mean", "importance_std"]]
                for name, t in e.importance.items()
            },
            axis=1,
        )
        wide.columns = [f"{name} {stat.removeprefix('importance_')}" for name, stat in wide.columns]
        wide = wide.reindex(e.top_features or list(wide.index)).reset_index(names="feature")
        importance = _table(wide)
    coefficient_note = {
        "binary": "Coefficients are in log-odds of the positive class; odds ratios their "
        "exponential.",
        "multiclass": "One column per class (multinomial logits).",
        "regression": "Coefficients are in the target's units.",
    }
    environment = Environment(autoescape=True, keep_trailing_newline=True)
    return environment.from_string(TEMPLATE).render(
        title=title,
        champion=champion,
        reason=reason,
        notices=notices,
        evaluation=evaluation,
        validation=validation,
        validation_report=validation_report,
        failed=_table(pd.DataFrame(failed), len(failed)) if failed else None,
        candidates=_table(table, len(table)),
        metric=metric,
        rule=rule,
        comparison_images=[(t, embed(p)) for t, p in comparison_images.items()],
        notes=e.notes,
        coefficients=_table(e.coefficients) if e.coefficients is not None else None,
        coefficient_note=coefficient_note[task],
        importance=importance,
        repeats=repeats,
        importance_rows=e.rows,
        ranked_by=e.ranked_by,
        brier=_table(pd.DataFrame({"candidate": list(e.brier), "brier": list(e.brier.values())}))
        if e.brier
        else None,
        explanation_images=[(t, embed(p)) for t, p in e.images.items()],
        other_images=[(t, embed(p)) for t, p in other_images.items()],
        model_card=model_card,
    )

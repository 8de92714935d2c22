"""``reports/report.html``: one self-contained page to look at after ``dvc repro``.

The validation summary, the candidates, the comparison intervals and every explanation
(:mod:`.explanations`), with each picture embedded as a base64 ``data:`` URI and the
styles inline: the file opens offline, attached to an e-mail or from the MLflow UI.
Rendered with Jinja2 from ``templates/report.html.jinja``, autoescaping on, so column names
and values from the data are text, never markup.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader
from markupsafe import Markup, escape

from .explanations import Explanations

#: The pictures shown with their table (titles of :attr:`.Explanations.images`).
COEFFICIENT_IMAGE, IMPORTANCE_IMAGE = "Linear model coefficients", "Permutation importance"
#: Rows of a long table shown in the report (the CSV files hold every row).
ROWS = 20

#: The page's Jinja2 template, beside this module (package data).
TEMPLATE = "report.html.jinja"


def embed(path: Path) -> str:
    """A PNG as a ``data:`` URI (base64), so that the page needs no other file."""
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def inline_code(text: str) -> Markup:
    """Escape ``text`` and show its Markdown code spans (`like this`) as ``<code>``."""
    escaped = str(escape(text))
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped))


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
    images = dict(e.images)
    coefficient_image = images.pop(COEFFICIENT_IMAGE, None)
    importance_image = images.pop(IMPORTANCE_IMAGE, None)
    environment = Environment(
        loader=PackageLoader(__name__.rpartition(".")[0], "templates"),
        autoescape=True,
        keep_trailing_newline=True,
    )
    environment.filters["code"] = inline_code
    return environment.get_template(TEMPLATE).render(
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
        coefficient_image=embed(coefficient_image) if coefficient_image else None,
        importance_image=embed(importance_image) if importance_image else None,
        explanation_images=[(t, embed(p)) for t, p in images.items()],
        other_images=[(t, embed(p)) for t, p in other_images.items()],
        model_card=model_card,
    )

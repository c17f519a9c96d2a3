"""Publication tables comparing models: CSV, Markdown, HTML, LaTeX."""
import html
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from libpysal.weights import W

from spatialecon._files import atomic_path
from spatialecon.regression._common import (
    _MODEL_ALIASES,
    CONSTANT,
    DEFAULT_COMPARISON,
    RegressionError,
)
from spatialecon.regression.cross_section import (
    fit,
)
from spatialecon.regression.diagnostics import (
    Diagnostics,
    ols_diagnostics,
)
from spatialecon.regression.results import (
    RegressionResult,
)

# ---------------------------------------------------------------------------- tables


_STAT_ROWS = {
    "n": ("Observations", "{:,.0f}"),
    "logl": ("Log-likelihood", "{:.3f}"),
    "aic": ("AIC", "{:.3f}"),
    "sc": ("SC (BIC)", "{:.3f}"),
    "r2": ("R²", "{:.4f}"),
    "pseudo_r2": ("Pseudo R²", "{:.4f}"),
    "sig2": ("σ²", "{:.4f}"),
}
_SPATIAL_LABELS = {"tau": "τ (y, t−1)", "eta": "η (W·y, t−1)", "rho": "ρ (W·y)",
                   "lambda": "λ (W·u)"}


def _impact_cells(table: pd.DataFrame | None) -> dict[tuple[str, str], tuple[float, ...]]:
    """(section, variable) → (estimate, se, p) of an impacts table: sections "Direct impacts"
    … for static models, "Short-run direct impacts" … for dynamic ones (whose table has a
    ``horizon`` level)."""
    if table is None:
        return {}
    cells = {}
    for key, row in table.iterrows():
        if len(key) == 3:
            variable, horizon, effect = key
            title = f"{horizon.capitalize()}-run {effect} impacts"
        else:
            variable, effect = key
            title = f"{effect.capitalize()} impacts"
        cells[(title, variable)] = (float(row["estimate"]), float(row["se"]), float(row["p"]))
    return cells


@dataclass
class ComparisonTable:
    """Several models side by side: coefficients with stars, standard errors in parentheses
    underneath, fit statistics below — the layout of Stata's ``esttab`` and R's
    ``modelsummary``.

    Attributes
    ----------
    cells
        The formatted table (strings); rows in ``row_kinds`` order.
    row_kinds
        ``"coef"``, ``"se"``, ``"stat"`` or ``"section"`` for each row of ``cells``.
    tidy
        The numbers behind it: model, term, estimate, se, z, p.
    results
        The fitted models, in column order.
    note
        The footnote (standard errors, stars, estimators).
    """

    cells: pd.DataFrame
    row_kinds: list[str]
    tidy: pd.DataFrame
    results: list[RegressionResult]
    note: str
    diagnostics: Diagnostics | None = None

    # ---- writers
    def _write(self, text: str, path: str | Path | None, encoding: str = "utf-8") -> str:
        if path is not None:
            with atomic_path(path) as tmp:
                Path(tmp).write_text(text, encoding=encoding)
        return text

    def to_csv(self, path: str | Path | None = None) -> str:
        """CSV of the displayed table (UTF-8 with BOM when written, so Excel reads Chinese)."""
        frame = self.cells.reset_index()
        frame.columns = ["", *self.cells.columns]
        out = io.StringIO()
        # the note goes under the table as one quoted cell, so the file stays rectangular CSV
        frame = pd.concat([frame, pd.DataFrame([[self.note] + [""] * len(self.cells.columns)],
                                               columns=frame.columns)], ignore_index=True)
        frame.to_csv(out, index=False, lineterminator="\n")
        return self._write(out.getvalue(), path, "utf-8-sig")

    def to_markdown(self, path: str | Path | None = None) -> str:
        """A GitHub-flavoured Markdown table, cells escaped (``|``, ``*``, ``\\``)."""
        def esc(text: str) -> str:
            return (str(text).replace("\\", "\\\\").replace("|", "\\|").replace("*", "\\*")
                    .replace("_", "\\_").replace("<", "&lt;").replace(">", "&gt;"))

        header = ["", *self.cells.columns]
        lines = ["| " + " | ".join(esc(h) for h in header) + " |",
                 "|" + "|".join([":---", *[":---:"] * len(self.cells.columns)]) + "|"]
        for label, row in self.cells.iterrows():
            lines.append("| " + " | ".join(esc(v) for v in [label, *row.tolist()]) + " |")
        lines.append("")
        lines.append(esc(self.note))
        return self._write("\n".join(lines) + "\n", path)

    def to_html(self, path: str | Path | None = None) -> str:
        """An HTML ``<table>``; every name and cell is escaped (names come from user data)."""
        def cell(text: str) -> str:
            escaped = html.escape(str(text))
            return re.sub(r"(\*+)$", r"<sup>\1</sup>", escaped)

        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in self.cells.columns)
        rows = []
        for (label, row), kind in zip(self.cells.iterrows(), self.row_kinds, strict=True):
            tds = "".join(f"<td>{cell(v)}</td>" for v in row.tolist())
            rows.append(f'<tr class="{kind}"><th scope="row">{html.escape(str(label))}</th>'
                        f"{tds}</tr>")
        body = "\n".join(rows)
        ncol = len(self.cells.columns) + 1
        text = ('<table class="regression-table">\n'
                f"<thead><tr><th></th>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n"
                f'<tfoot><tr><td colspan="{ncol}">{html.escape(self.note)}</td></tr>'
                "</tfoot>\n</table>\n")
        return self._write(text, path)

    def to_latex(self, path: str | Path | None = None) -> str:
        """A booktabs ``tabular``; special characters in names are escaped."""
        def cell(text: str) -> str:
            text = str(text)
            match = re.match(r"^(.*?)(\*+)$", text)
            stars = ""
            if match:
                text, stars = match.group(1), f"$^{{{match.group(2)}}}$"
            return _latex_escape(text) + stars

        ncol = len(self.cells.columns)
        lines = [r"\begin{tabular}{l" + "c" * ncol + "}", r"\toprule",
                 " & " + " & ".join(cell(c) for c in self.cells.columns) + r" \\",
                 r"\midrule"]
        previous = None
        for (label, row), kind in zip(self.cells.iterrows(), self.row_kinds, strict=True):
            if kind == "stat" and previous != "stat":
                lines.append(r"\midrule")
            if kind == "section":
                lines.append(r"\midrule")
                lines.append(rf"\multicolumn{{{ncol + 1}}}{{l}}{{\textit{{"
                             f"{_latex_escape(str(label))}}}}}" + r" \\")
            else:
                lines.append(" & ".join([_latex_label(str(label)),
                                         *(cell(v) for v in row.tolist())]) + r" \\")
            previous = kind
        lines += [r"\bottomrule", r"\multicolumn{" + str(ncol + 1) + r"}{l}{\footnotesize "
                  + _latex_escape(self.note) + r"} \\", r"\end{tabular}"]
        return self._write("\n".join(lines) + "\n", path)

    def __str__(self) -> str:
        return self.cells.to_string() + "\n" + self.note


_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                  "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                  "^": r"\textasciicircum{}"}


def _latex_escape(text: str) -> str:
    out = "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)
    out = out.replace("<", r"$<$").replace(">", r"$>$")
    return out.replace("σ²", r"$\sigma^2$").replace("R²", r"$R^2$").replace("ρ", r"$\rho$") \
        .replace("λ", r"$\lambda$").replace("·", r"$\cdot$")


def _latex_label(text: str) -> str:
    return _latex_escape(text)


def _stars(p: float, levels: Sequence[float]) -> str:
    if not np.isfinite(p):
        return ""
    return "*" * sum(p < level for level in levels)


def compare(
    results: Sequence[RegressionResult] | Mapping[str, RegressionResult],
    *,
    names: Sequence[str] | None = None,
    digits: int = 3,
    stars: Sequence[float] = (0.10, 0.05, 0.01),
    stats: Sequence[str] = ("n", "logl", "aic", "sc", "r2", "pseudo_r2"),
    impacts: bool = False,
    constant: Literal["first", "last"] = "last",
) -> ComparisonTable:
    """A publication table of several models.

    Parameters
    ----------
    results
        Fitted models (from :func:`fit` / :func:`fit_panel`), or a mapping column name →
        model.
    names
        Column headers (default "(1) OLS", "(2) SAR (ML)", …).
    digits
        Decimals of coefficients and standard errors.
    stars
        p-value thresholds for one, two, three stars (default 0.10, 0.05, 0.01).
    stats
        Fit statistics below the coefficients: ``n``, ``logl``, ``aic``, ``sc``, ``r2``,
        ``pseudo_r2``, ``sig2``.
    impacts
        Add the direct, indirect and total impacts (with their standard errors) of the models
        that have them.
    constant
        Put the intercept first or last (Stata's ``esttab`` puts it last).

    Returns
    -------
    ComparisonTable
        With ``to_csv``, ``to_markdown``, ``to_html`` and ``to_latex``.
    """
    if isinstance(results, Mapping):
        names = list(results) if names is None else list(names)
        results = list(results.values())
    results = list(results)
    if not results:
        raise RegressionError("compare needs at least one result")
    if names is None:
        names = [f"({i}) {r.label}" for i, r in enumerate(results, start=1)]
    if len(names) != len(results) or len(set(names)) != len(names):
        raise RegressionError("names must be unique, one per result")
    unknown = [s for s in stats if s not in _STAT_ROWS]
    if unknown:
        raise RegressionError(f"unknown statistic(s) {unknown}; use {list(_STAT_ROWS)}")
    levels = sorted(stars, reverse=True)
    terms: list[str] = []
    for kind in ("x", "wx"):
        for r in results:
            for term, row in r.coefficients.iterrows():
                if row["kind"] == kind and term not in terms:
                    terms.append(term)
    has_constant = any(CONSTANT in r.coefficients.index for r in results)
    if has_constant:
        terms = [CONSTANT, *terms] if constant == "first" else [*terms, CONSTANT]
    spatial = [t for t in _SPATIAL_LABELS if any(t in r.coefficients.index for r in results)]
    fmt = f"{{:.{digits}f}}"
    rows: list[tuple[str, list[str], str]] = []

    def add_pair(label: str, values: list[tuple[float, float, float] | None]) -> None:
        coef_cells, se_cells = [], []
        for value in values:
            if value is None:
                coef_cells.append("")
                se_cells.append("")
                continue
            est, se, p = value
            coef_cells.append(fmt.format(est) + _stars(p, levels))
            se_cells.append(f"({fmt.format(se)})" if np.isfinite(se) else "")
        rows.append((label, coef_cells, "coef"))
        rows.append(("", se_cells, "se"))

    def lookup(r: RegressionResult, term: str) -> tuple[float, float, float] | None:
        if term not in r.coefficients.index:
            return None
        row = r.coefficients.loc[term]
        return float(row["estimate"]), float(row["se"]), float(row["p"])

    for term in terms:
        add_pair(term, [lookup(r, term) for r in results])
    for term in spatial:
        add_pair(_SPATIAL_LABELS[term], [lookup(r, term) for r in results])
    if impacts:
        per_model = [_impact_cells(r.impacts) for r in results]
        sections = list(dict.fromkeys(title for cells in per_model for title, _ in cells))
        variables = list(dict.fromkeys(v for r in results for v in r.x))
        for title in sections:
            rows.append((title, [""] * len(results), "section"))
            for v in variables:
                add_pair(v, [cells.get((title, v)) for cells in per_model])
    for stat in stats:
        label, stat_fmt = _STAT_ROWS[stat]
        values = [getattr(r, stat) for r in results]
        cells = [stat_fmt.format(v) if v is not None and np.isfinite(v) else "" for v in values]
        if any(cells):
            rows.append((label, cells, "stat"))
    cells = pd.DataFrame([r[1] for r in rows], columns=list(names),
                         index=pd.Index([r[0] for r in rows]))
    star_note = ", ".join(f"{'*' * (i + 1)} p < {lvl:g}" for i, lvl in enumerate(levels))
    estimators = "; ".join(f"{n}: {r.conventions.get('variance', '')}"
                           for n, r in zip(names, results, strict=True))
    weights = sorted({r.conventions.get("weights", "") for r in results})
    dependent = ", ".join(dict.fromkeys(r.y for r in results))
    note = (f"Dependent variable: {dependent}. Standard errors in parentheses; {star_note} "
            "(two-sided; t-tests for OLS/SLX, z-tests otherwise). AIC/SC count all parameters "
            f"incl. σ². Weights: {' | '.join(weights)}. Variance: {estimators}.")
    if impacts:
        methods = sorted({str(r.impacts.attrs.get("method")) for r in results
                          if r.impacts is not None})
        note += f" Impacts: LeSage & Pace averages, {', '.join(methods)} standard errors."
    tidy = pd.concat(
        [r.coefficients.reset_index().assign(model=n) for n, r in zip(names, results,
                                                                       strict=True)],
        ignore_index=True)[["model", "term", "kind", "estimate", "se", "z", "p"]]
    return ComparisonTable(cells=cells, row_kinds=[r[2] for r in rows], tidy=tidy,
                           results=results, note=note)


def compare_models(
    data: pd.DataFrame,
    y: str,
    X: str | Sequence[str] | W | None = None,
    w: W | None = None,
    *,
    models: Sequence[str] = DEFAULT_COMPARISON,
    method: str = "ml",
    impacts: bool = False,
    **kwargs: Any,
) -> ComparisonTable:
    """OLS and spatial models of one specification side by side, with the OLS diagnostics.

    ``compare_models(units, "y ~ x1 + x2", w)`` fits OLS, SAR, SEM and SDM by ML (the default
    ``models``) and returns their :class:`ComparisonTable`; ``.diagnostics`` holds the LM tests
    and Anselin's decision. Keyword arguments go to :func:`fit`.
    """
    if isinstance(X, W) and w is None:
        X, w = None, X
    diagnostics = ols_diagnostics(data, y, X, w, transform=kwargs.get("transform", "row"))
    results = [diagnostics.ols if _MODEL_ALIASES.get(m, m) == "ols"
               else fit(data, y, X, w, model=m, method=method, **kwargs) for m in models]
    table = compare(results, impacts=impacts)
    table.diagnostics = diagnostics
    return table

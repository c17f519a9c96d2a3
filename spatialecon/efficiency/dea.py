"""Data envelopment analysis (DEA): CCR and BCC models, input or output orientation, with
technical, pure technical and scale efficiency and slacks, frontier by frontier (per year).

For decision-making unit ``o`` with inputs ``x_o`` (m) and outputs ``y_o`` (s) among ``n``
units, the envelopment problems (Charnes, Cooper & Rhodes 1978; Banker, Charnes & Cooper 1984;
notation of Coelli et al. 2005, ch. 6) are

* input orientation: ``min θ`` s.t. ``Σ_j λ_j x_j ≤ θ x_o``, ``Σ_j λ_j y_j ≥ y_o``, ``λ ≥ 0``;
* output orientation: ``max φ`` s.t. ``Σ_j λ_j x_j ≤ x_o``, ``Σ_j λ_j y_j ≥ φ y_o``, ``λ ≥ 0``;

under constant returns to scale (CRS, CCR), plus ``Σ λ_j = 1`` for variable returns (VRS, BCC)
or ``Σ λ_j ≤ 1`` for non-increasing returns (NIRS, used only to tell IRS from DRS). Reported:

``te``
    overall technical efficiency (CRS; 综合技术效率), ``θ`` or ``1/φ``;
``pte``
    pure technical efficiency (VRS; 纯技术效率);
``se``
    scale efficiency ``te / pte`` (规模效率), so ``te = pte × se`` holds per unit and year;
``returns``
    ``"crs"``, ``"irs"`` or ``"drs"`` (DEAP's rule: DRS where the NIRS and VRS scores agree);
``slack_<name>``
    input and output slacks of the ``rts`` model at its radial optimum, from the usual second
    stage that maximises the sum of slacks (phase II of Cooper, Seiford & Tone 2007, ch. 3).
    Coelli's DEAP uses a multi-stage method instead; the two agree unless the slack optimum
    is not unique. Slacks are in the variables' own units.

Output-oriented scores are reported as ``1/φ`` ∈ (0, 1] — DEAP's and the seed's convention —
not as ``φ ≥ 1``; ``attrs`` says so. scipy has no DEA, and the envelopment programs are a few
lines each, so they are written here — rather than adding a DEA package and its solver stack as a
dependency — and solved by scipy's HiGHS (``scipy.optimize.linprog(method="highs")``), about a
millisecond per program.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from spatialecon._labels import format_units
from spatialecon.efficiency._data import DEAError, Frontier, blocks, read_tables

Orientation = Literal["input", "output"]
RTS = Literal["crs", "vrs"]
# Scores within this distance count as equal when classifying returns to scale (HiGHS solves
# to ~1e-9; printed DEA tables have three or four decimals).
_RTS_TOL = 1e-6


def _solve(c: np.ndarray, A_ub: np.ndarray, b_ub: np.ndarray, A_eq: np.ndarray | None,
           b_eq: np.ndarray | None, unit: Any, model: str) -> Any:
    result = linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, bounds=(0, None),
                     method="highs")
    if result.status != 0:
        raise DEAError(f"{model} for unit {unit}: {result.message}")
    return result


def _radial(X: np.ndarray, Y: np.ndarray, o: int, orientation: Orientation, rts: str,
            unit: Any) -> tuple[float, np.ndarray]:
    """The radial score (θ, or φ for output orientation) and λ of unit ``o``."""
    n = X.shape[0]
    ones = np.ones((1, n))
    if orientation == "input":
        # variables [θ, λ_1 … λ_n]: Σ λ x − θ x_o ≤ 0; −Σ λ y ≤ −y_o
        A_ub = np.vstack([np.hstack([-X[o][:, None], X.T]),
                          np.hstack([np.zeros((Y.shape[1], 1)), -Y.T])])
        b_ub = np.concatenate([np.zeros(X.shape[1]), -Y[o]])
        c = np.concatenate([[1.0], np.zeros(n)])
    else:
        # variables [φ, λ]: Σ λ x ≤ x_o; φ y_o − Σ λ y ≤ 0; maximise φ
        A_ub = np.vstack([np.hstack([np.zeros((X.shape[1], 1)), X.T]),
                          np.hstack([Y[o][:, None], -Y.T])])
        b_ub = np.concatenate([X[o], np.zeros(Y.shape[1])])
        c = np.concatenate([[-1.0], np.zeros(n)])
    A_eq = b_eq = None
    if rts == "vrs":
        A_eq, b_eq = np.hstack([[[0.0]], ones]), np.array([1.0])
    elif rts == "nirs":
        A_ub = np.vstack([A_ub, np.hstack([[[0.0]], ones])])
        b_ub = np.concatenate([b_ub, [1.0]])
    result = _solve(c, A_ub, b_ub, A_eq, b_eq, unit, f"{orientation}-oriented {rts.upper()}")
    return float(result.x[0]), result.x[1:]


def _slacks(X: np.ndarray, Y: np.ndarray, o: int, orientation: Orientation, rts: str,
            score: float, unit: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Second stage: maximise Σ s⁻ + Σ s⁺ with the radial score fixed; (s⁻, s⁺, λ)."""
    n, m, s = X.shape[0], X.shape[1], Y.shape[1]
    x_target = score * X[o] if orientation == "input" else X[o]
    y_target = Y[o] if orientation == "input" else score * Y[o]
    # variables [λ (n), s⁻ (m), s⁺ (s)]: Σ λ x + s⁻ = x_target; Σ λ y − s⁺ = y_target
    A_eq = np.vstack([np.hstack([X.T, np.eye(m), np.zeros((m, s))]),
                      np.hstack([Y.T, np.zeros((s, m)), -np.eye(s)])])
    c = np.concatenate([np.zeros(n), -np.ones(m + s)])
    if rts == "vrs":
        A_eq = np.vstack([A_eq, np.concatenate([np.ones(n), np.zeros(m + s)])])
    # The radial optimum is solved to ~1e-9; fixing it exactly can make this stage infeasible
    # by a hair, so the targets are relaxed in steps that stay far below printed precision.
    last = None
    for relax in (0.0, 1e-9, 1e-7):
        factor = (1 + relax) if orientation == "input" else (1 - relax)
        xt = x_target * factor if orientation == "input" else x_target
        yt = y_target if orientation == "input" else y_target * factor
        b_eq = np.concatenate([xt, yt, [1.0] if rts == "vrs" else []])
        last = linprog(c, A_eq=A_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        if last.status == 0:
            # slacks below the solver's tolerance are zeros (HiGHS may return −1e-13)
            z = np.where(np.abs(last.x) < 1e-9, 0.0, last.x)
            return z[n:n + m], z[n + m:], z[:n]
    raise DEAError(f"slack stage for unit {unit}: {last.message if last else 'not solved'}")


def dea(
    inputs: pd.DataFrame,
    outputs: pd.DataFrame,
    *,
    orientation: Orientation = "input",
    rts: RTS = "vrs",
    frontier: Frontier = "year",
    slacks: bool = True,
) -> pd.DataFrame:
    """Technical, pure technical and scale efficiency of each unit by DEA.

    Parameters
    ----------
    inputs, outputs
        Wide tables (units × variables) indexed by ``adcode`` or ``(adcode, year)`` with the
        same rows, or tidy panels (every variable of the panel is used; select with
        ``panel[panel.variable.isin([...])]``).
    orientation
        ``"input"`` (shrink inputs; 投入导向, as 何振立 2020) or ``"output"`` (expand outputs).
    rts
        The returns to scale whose slacks, peers and ``score`` are reported: ``"vrs"`` (BCC,
        default) or ``"crs"`` (CCR). ``te``, ``pte`` and ``se`` are always both models'.
    frontier
        ``"year"``: one frontier per year (each year's units are compared with each other);
        ``"pooled"``: one frontier of all unit-years.
    slacks
        Compute the second-stage slacks (one more program per unit).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``inputs``: ``te`` (CRS), ``pte`` (VRS), ``se`` (= te / pte), ``returns``
        (crs/irs/drs), ``score`` (the ``rts`` model's) and ``slack_<variable>`` for every input
        and output. ``attrs`` records the model and ``lambdas``, the ``rts`` model's reference
        weights as records (``pd.DataFrame(out.attrs["lambdas"])``: adcode, year, peer, lambda
        on yearly frontiers; unit, peer, lambda otherwise).

    Raises
    ------
    DEAError
        Different units in inputs and outputs, missing or negative data (naming variable and
        units), a unit whose inputs (input orientation) or outputs (output orientation) are all
        zero, or a program HiGHS cannot solve.
    """
    if orientation not in ("input", "output"):
        raise DEAError(f"orientation must be 'input' or 'output', not {orientation!r}")
    if rts not in ("crs", "vrs"):
        raise DEAError(f"rts must be 'crs' or 'vrs', not {rts!r}")
    data = read_tables({"input": inputs, "output": outputs})
    X, Y = data.frames["input"], data.frames["output"]
    empty = (X.to_numpy() == 0).all(axis=1) if orientation == "input" else \
        (Y.to_numpy() == 0).all(axis=1)
    if empty.any():
        kind = "inputs" if orientation == "input" else "outputs"
        raise DEAError(f"all {kind} are zero for {format_units(X.index[empty])}: the "
                       f"{orientation}-oriented score is undefined")

    def efficiency(radial: float) -> float:
        return radial if orientation == "input" else 1.0 / radial

    per_year = frontier == "year" and "year" in (X.index.names or [])
    rows, labels, lambdas = [], [], []
    for _, rows_at in blocks(X.index, frontier):
        index = X.index[rows_at]
        Xb, Yb = data.arrays["input"][rows_at], data.arrays["output"][rows_at]
        for o, unit in enumerate(index):
            crs, lam_crs = _radial(Xb, Yb, o, orientation, "crs", unit)
            vrs, lam_vrs = _radial(Xb, Yb, o, orientation, "vrs", unit)
            te, pte = efficiency(crs), efficiency(vrs)
            if abs(te - pte) <= _RTS_TOL:
                returns = "crs"
            else:
                nirs = efficiency(_radial(Xb, Yb, o, orientation, "nirs", unit)[0])
                returns = "drs" if abs(nirs - pte) <= _RTS_TOL else "irs"
            radial, lam = (vrs, lam_vrs) if rts == "vrs" else (crs, lam_crs)
            row = {"te": te, "pte": pte, "se": te / pte, "returns": returns,
                   "score": efficiency(radial)}
            if slacks:
                s_in, s_out, lam = _slacks(Xb, Yb, o, orientation, rts, radial, unit)
                row.update({f"slack_{c}": v for c, v in zip(X.columns, s_in, strict=True)})
                row.update({f"slack_{c}": v for c, v in zip(Y.columns, s_out, strict=True)})
            rows.append(row)
            labels.append(unit)
            for peer, weight in zip(index, lam, strict=True):
                if weight > 1e-9:  # HiGHS returns exact zeros or values at ~1e-12
                    lambdas.append(_lambda_row(X.index, unit, peer, weight, per_year))
    index = (pd.MultiIndex.from_tuples(labels, names=X.index.names)
             if isinstance(X.index, pd.MultiIndex) else pd.Index(labels, name=X.index.name))
    out = pd.DataFrame(rows, index=index).reindex(X.index)
    out.attrs = {
        "method": "DEA (envelopment form)", "orientation": orientation,
        "rts": rts, "te": "CRS (CCR)", "pte": "VRS (BCC)", "se": "te / pte",
        "frontier": frontier if "year" in (X.index.names or []) else "cross-section",
        "scores": ("θ of min θ (input orientation)" if orientation == "input"
                   else "1/φ of max φ (output orientation; DEAP/Coelli convention, ≤ 1)"),
        "slacks": ("second stage maximising the sum of slacks at the radial optimum of the "
                   f"{rts.upper()} model" if slacks else None),
        "solver": "scipy.optimize.linprog(method='highs')",
        "inputs": list(X.columns), "outputs": list(Y.columns),
        "lambdas": lambdas,
    }
    return out


def _lambda_row(index: pd.Index, unit: Any, peer: Any, weight: float, per_year: bool
                ) -> dict[str, Any]:
    """One row of the tidy peer table: (unit, year, peer, lambda) on yearly frontiers."""
    if per_year:
        names = list(index.names)
        position = names.index("year")
        code = next(n for n in names if n != "year")
        return {code: unit[1 - position], "year": unit[position],
                "peer": peer[1 - position], "lambda": float(weight)}
    return {"unit": unit, "peer": peer, "lambda": float(weight)}


__all__ = ["DEAError", "dea"]

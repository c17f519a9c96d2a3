"""Tone's slack-based measure (SBM): non-oriented, input- or output-oriented, CRS or VRS, with
undesirable outputs, and the SBM super-efficiency of the efficient units.

For unit ``o`` with inputs ``x_o`` (m), desirable outputs ``y^g_o`` (s1) and undesirable
outputs ``y^b_o`` (s2) among the units of its frontier, the SBM (Tone 2001; with undesirable
outputs Tone 2004 and Cooper, Seiford & Tone 2007, ch. 13) is

    ρ = min (1 − (1/m) Σ s⁻_i / x_io) / (1 + (1/(s1+s2)) (Σ s^g_r / y^g_ro + Σ s^b_r / y^b_ro))
    s.t. x_o = X λ + s⁻,  y^g_o = Y^g λ − s^g,  y^b_o = Y^b λ + s^b,  λ, s ≥ 0
         (VRS: Σ λ = 1).

The input-oriented model keeps only the numerator (``ρ_I = 1 − (1/m) Σ s⁻/x_o``), the
output-oriented one only the denominator (``ρ_O = 1 / (1 + (1/(s1+s2)) Σ s/y)``, so every score
is in (0, 1]). The fractional program is linearised by the Charnes–Cooper transformation
(``t = 1/denominator``, ``Λ = tλ``, ``S = ts``):

    min τ = t − (1/m) Σ S⁻_i / x_io
    s.t. t + (1/(s1+s2)) (Σ S^g_r / y^g_ro + Σ S^b_r / y^b_ro) = 1,
         X Λ + S⁻ = t x_o,  Y^g Λ − S^g = t y^g_o,  Y^b Λ + S^b = t y^b_o,  (VRS: Σ Λ = t),

with ``ρ = τ``, ``λ = Λ/t``, ``s = S/t``. The oriented models are the same program with the
other side's weights set to zero (then ``t = 1`` for input orientation and ``ρ_O = t`` for
output orientation), so one constraint matrix serves all three. An oriented model leaves the
other side's slacks undetermined; a second program maximises them (in ratio to the unit's
values) with the score fixed, so that the reported slacks — and ``efficient`` — are those of a
Pareto–Koopmans projection.

A unit is SBM-``efficient`` when ``ρ = 1`` and all slacks are zero (for the non-oriented model
the two are the same). The super-efficiency SBM (Tone 2002; with undesirable outputs as in
Tone's DEA-Solver, CST 2007 §13.7) evaluates an efficient unit against the others only:

    δ = min (1 + (1/m) Σ s⁻/x_o) / (1 − (1/(s1+s2)) (Σ s^g/y^g_o + Σ s^b/y^b_o))
    s.t. Σ_{j≠o} λ_j x_j ≤ x_o + s⁻,  Σ_{j≠o} λ_j y^g_j ≥ y^g_o − s^g,
         Σ_{j≠o} λ_j y^b_j ≤ y^b_o + s^b,  s^g ≤ y^g_o,  λ, s ≥ 0  (VRS: Σ λ = 1),

linearised the same way (denominator normalised to 1; unit ``o`` is removed by bounding its
``Λ_o`` at 0, so the matrix is shared). ``δ ≥ 1``; ``super_score`` is ``δ`` for efficient units
and ``ρ`` for the others, so ``super_score ≥ 1`` exactly for the efficient units. The oriented
super-efficiency models (only one side in the objective) can be infeasible under VRS; such
units get NaN and are listed in ``attrs["super_infeasible"]``.

Written here rather than taken from a package: no maintained PyPI DEA package covers the SBM
with undesirable outputs and super-efficiency (the R package ``deaR`` and Tone's DEA-Solver do;
the Python ones found implement the radial models or an unmaintained SBM without undesirable
outputs), and the programs are a few matrices over scipy's HiGHS. The constraint matrix of a
frontier is built once; per unit only the column of ``t`` (the unit's own values), the
normalisation row and the objective change, and in super-efficiency the bound on ``Λ_o``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from spatialecon._labels import format_units
from spatialecon.efficiency._data import DEAError, Frontier, blocks, read_tables

Orientation = Literal["non", "input", "output"]
RTS = Literal["crs", "vrs"]
# A score within this distance of 1 counts as 1, and slacks below this share of the unit's value
# as 0 (HiGHS solves to ~1e-9; published SBM tables print three or four decimals).
_TOL = 1e-7

REFERENCES = (
    "Tone, K. (2001). A slacks-based measure of efficiency in data envelopment analysis. "
    "EJOR 130, 498–509; Tone, K. (2002). A slacks-based measure of super-efficiency in data "
    "envelopment analysis. EJOR 143, 32–41; Tone, K. (2004). Dealing with undesirable outputs "
    "in DEA: a slacks-based measure (SBM) approach. GRIPS; Cooper, W.W., Seiford, L.M. & Tone, "
    "K. (2007). Data Envelopment Analysis, 2nd ed., Springer, ch. 4 and 13."
)


class _Frontier:
    """The equality system of one frontier, shared by every unit's programs.

    Columns ``[t, Λ_1 … Λ_n, S⁻ (m), S^g (s1), S^b (s2)]``; rows: the normalisation (unit-
    specific), inputs, desirable outputs, undesirable outputs, and ``Σ Λ − t = 0`` under VRS.
    """

    def __init__(self, X: np.ndarray, G: np.ndarray, B: np.ndarray, rts: str) -> None:
        self.X, self.G, self.B = X, G, B
        n, m, s1, s2 = X.shape[0], X.shape[1], G.shape[1], B.shape[1]
        self.n, self.m, self.s1, self.s2 = n, m, s1, s2
        self.k = 1 + n + m + s1 + s2
        self.sl = slice(1 + n, self.k)  # all slacks
        rows = [np.zeros((1, self.k))]  # normalisation, filled per unit
        body = np.zeros((m + s1 + s2, self.k))
        body[:m, 1:1 + n] = X.T
        body[m:m + s1, 1:1 + n] = G.T
        body[m + s1:, 1:1 + n] = B.T
        body[:, 1 + n:] = np.diag(np.concatenate([np.ones(m), -np.ones(s1), np.ones(s2)]))
        rows.append(body)
        if rts == "vrs":
            vrs = np.zeros((1, self.k))
            vrs[0, 0], vrs[0, 1:1 + n] = -1.0, 1.0
            rows.append(vrs)
        self.A = np.vstack(rows)
        self.b = np.zeros(self.A.shape[0])
        self.b[0] = 1.0
        self.rts = rts

    def weights(self, o: int, orientation: str) -> tuple[np.ndarray, np.ndarray]:
        """Objective weights of the input slacks and the output slacks of unit ``o``."""
        x, y = self.X[o], np.concatenate([self.G[o], self.B[o]])
        w_in = (1.0 / (self.m * x)) if orientation != "output" else np.zeros(self.m)
        w_out = (1.0 / (len(y) * y)) if orientation != "input" else np.zeros(len(y))
        return w_in, w_out

    def own(self, o: int) -> np.ndarray:
        return np.concatenate([self.X[o], self.G[o], self.B[o]])


def _linprog(c, A_ub=None, b_ub=None, A_eq=None, b_eq=None, bounds=None) -> Any:
    # HiGHS's presolve costs more than it saves on these few-row, many-column programs (about
    # half the time per program at 2,848 units); the simplex solves them directly.
    return linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq,
                   bounds=bounds if bounds is not None else (0, None), method="highs",
                   options={"presolve": False})


def _sbm_unit(F: _Frontier, o: int, orientation: str, unit: Any) -> tuple[float, np.ndarray]:
    """SBM score of unit ``o`` and its slacks ``(s⁻, s^g, s^b)`` in the variables' units."""
    w_in, w_out = F.weights(o, orientation)
    A = F.A.copy()
    A[1:1 + F.m + F.s1 + F.s2, 0] = -F.own(o)
    A[0, 1 + F.n + F.m:] = w_out
    A[0, 0] = 1.0
    c = np.zeros(F.k)
    c[0], c[1 + F.n:1 + F.n + F.m] = 1.0, -w_in
    result = _linprog(c, A_eq=A, b_eq=F.b)
    if result.status != 0:
        raise DEAError(f"{orientation}-oriented SBM for unit {unit}: {result.message}")
    t = result.x[0]
    score = float(result.fun)
    slacks = result.x[F.sl] / t
    if orientation != "non":
        slacks = _second_stage(F, o, orientation, A, w_in, w_out, score, slacks)
    # HiGHS returns exact zeros or values at ~1e-12 (of either sign) for slacks that are zero
    slacks = np.where(slacks <= 1e-9 * F.own(o), 0.0, slacks)
    return score, slacks


def _second_stage(F: _Frontier, o: int, orientation: str, A: np.ndarray, w_in: np.ndarray,
                  w_out: np.ndarray, score: float, slacks: np.ndarray) -> np.ndarray:
    """Oriented models: the other side's slacks, maximised (in ratio to the unit's values) with
    the score held (``t = 1`` under both orientations once the other side is fixed)."""
    q = F.s1 + F.s2
    x, y = F.X[o], np.concatenate([F.G[o], F.B[o]])
    A = A.copy()
    A[0, :] = 0.0
    A[0, 0] = 1.0  # t = 1: the plain (λ, s) program
    c = np.zeros(F.k)
    row = np.zeros((1, F.k))
    if orientation == "input":
        # keep (1/m) Σ s⁻/x ≥ 1 − ρ; maximise Σ s/y over the outputs
        row[0, 1 + F.n:1 + F.n + F.m] = -w_in
        bound = -(1.0 - score) + 1e-9
        c[1 + F.n + F.m:] = -1.0 / (q * y)
    else:
        # keep (1/q) Σ s/y ≥ 1/ρ − 1; maximise Σ s⁻/x over the inputs
        row[0, 1 + F.n + F.m:] = -w_out
        bound = -(1.0 / score - 1.0) + 1e-9
        c[1 + F.n:1 + F.n + F.m] = -1.0 / (F.m * x)
    result = _linprog(c, A_ub=row, b_ub=[bound], A_eq=A, b_eq=F.b)
    return result.x[F.sl] if result.status == 0 else slacks


def _super_unit(F: _Frontier, o: int, orientation: str) -> float:
    """Super-efficiency SBM δ ≥ 1 of the efficient unit ``o`` (NaN if infeasible).

    Columns as in :class:`_Frontier`; constraints (all ≤ 0 unless said):
    ``X Λ − S⁻ − t x_o``; ``−Y^g Λ − S^g + t y^g_o``; ``Y^b Λ − S^b − t y^b_o``;
    ``S^g − t y^g_o``; equalities ``t − w_out·(S^g, S^b) = 1`` and, under VRS, ``Σ Λ − t = 0``.
    """
    n, m, s1, s2 = F.n, F.m, F.s1, F.s2
    w_in, w_out = F.weights(o, orientation)
    x, g, b = F.X[o], F.G[o], F.B[o]
    A_ub = np.zeros((m + s1 + s2 + s1, F.k))
    A_ub[:m, 0], A_ub[:m, 1:1 + n], A_ub[:m, 1 + n:1 + n + m] = -x, F.X.T, -np.eye(m)
    r = m
    A_ub[r:r + s1, 0], A_ub[r:r + s1, 1:1 + n] = g, -F.G.T
    A_ub[r:r + s1, 1 + n + m:1 + n + m + s1] = -np.eye(s1)
    r += s1
    A_ub[r:r + s2, 0], A_ub[r:r + s2, 1:1 + n] = -b, F.B.T
    A_ub[r:r + s2, 1 + n + m + s1:] = -np.eye(s2)
    r += s2
    A_ub[r:r + s1, 0], A_ub[r:r + s1, 1 + n + m:1 + n + m + s1] = -g, np.eye(s1)
    eq = [np.concatenate([[1.0], np.zeros(n + m), -w_out])]
    if F.rts == "vrs":
        eq.append(np.concatenate([[-1.0], np.ones(n), np.zeros(m + s1 + s2)]))
    b_eq = np.zeros(len(eq))
    b_eq[0] = 1.0
    c = np.zeros(F.k)
    c[0], c[1 + n:1 + n + m] = 1.0, w_in
    bounds = [(0, None)] * F.k
    bounds[1 + o] = (0, 0)  # unit o leaves its own reference set
    # oriented models move one side only: the other side stays at the unit's own values
    fixed = (range(1 + n + m, F.k) if orientation == "input" else
             range(1 + n, 1 + n + m) if orientation == "output" else ())
    for j in fixed:
        bounds[j] = (0, 0)
    result = _linprog(c, A_ub=A_ub, b_ub=np.zeros(A_ub.shape[0]), A_eq=np.vstack(eq),
                      b_eq=b_eq, bounds=bounds)
    return float(result.fun) if result.status == 0 else np.nan


def _efficient(score: Any, slacks: np.ndarray, values: np.ndarray) -> Any:
    """ρ = 1 and no slack, both up to the solver's tolerance (relative slacks ≤ _TOL)."""
    return (np.asarray(score) >= 1 - _TOL) & (np.abs(slacks / values) <= _TOL).all(axis=-1)


def _split_undesirable(outputs: Any, undesirable: Any) -> tuple[Any, Any]:
    """``undesirable`` as names: move those columns of ``outputs`` into their own table."""
    if undesirable is None or isinstance(undesirable, pd.DataFrame | pd.Series):
        return outputs, undesirable
    names = [undesirable] if isinstance(undesirable, str) else list(undesirable)
    if not isinstance(outputs, pd.DataFrame) or "variable" in outputs.columns:
        from spatialecon.indices import _as_wide
        outputs = _as_wide(outputs, "outputs")
    missing = [n for n in names if n not in outputs.columns]
    if missing:
        raise DEAError(f"undesirable output(s) {', '.join(map(repr, missing))} are not columns "
                       f"of outputs ({', '.join(map(str, outputs.columns))})")
    if set(names) >= set(outputs.columns):
        raise DEAError(f"every output ({', '.join(map(str, outputs.columns))}) is named "
                       "undesirable: the SBM needs at least one desirable output to expand")
    return outputs.drop(columns=names), outputs[names]


def _check_positive(frame: pd.DataFrame, what: str) -> None:
    values = frame.to_numpy(dtype=float)
    zero = values <= 0
    if zero.any():
        j = int(np.flatnonzero(zero.any(axis=0))[0])
        advice = ("drop the unit, or drop that input's term for it (Tone 2001)" if
                  what == "input" else "replace it by a small positive number, which then "
                  "acts as a penalty on the slack (Tone 2001; CST 2007, §4.4), or drop the unit")
        raise DEAError(f"SBM needs positive data: {what} {frame.columns[j]!r} is zero for "
                       f"unit(s) {format_units(frame.index[zero[:, j]])}; the SBM divides by "
                       f"each unit's own values — {advice}")


def sbm(
    inputs: pd.DataFrame,
    outputs: pd.DataFrame,
    *,
    undesirable: pd.DataFrame | str | Sequence[str] | None = None,
    rts: RTS = "vrs",
    orientation: Orientation = "non",
    super: bool = False,
    frontier: Frontier = "year",
) -> pd.DataFrame:
    """Slack-based efficiency (Tone's SBM) of each unit, optionally with undesirable outputs and
    super-efficiency.

    Parameters
    ----------
    inputs, outputs
        As for :func:`~spatialecon.efficiency.dea`: wide tables (units × variables) indexed by
        ``adcode`` or ``(adcode, year)`` with the same rows, or tidy panels (every variable of
        the panel is used). On unit-year rows each year's units form their own frontier (a unit
        is compared with the same year's units only); the panel must be balanced.
    undesirable
        Undesirable outputs (pollution …): a table like ``outputs``, or the names of columns of
        ``outputs`` to treat as undesirable. A variable may not be both.
    rts
        ``"vrs"`` (default, ``Σ λ = 1``) or ``"crs"``.
    orientation
        ``"non"`` (default; input excesses and output shortfalls both count), ``"input"`` or
        ``"output"``; scores are in (0, 1] for all three.
    super
        Also compute the super-efficiency SBM of the efficient units (``super_score``).
    frontier
        ``"year"`` (default) or ``"pooled"`` (one frontier of all unit-years).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``inputs``: ``score`` (ρ), ``slack_<variable>`` for every input, desirable
        and undesirable output (input excess, output shortfall, undesirable excess, in the
        variables' units), ``efficient`` and, with ``super=True``, ``super_score`` (δ ≥ 1 for
        efficient units, ρ for the others). ``attrs``: model, rts, orientation, undesirable,
        frontier, reference, solver, inputs/outputs, ``super_infeasible``.

    Raises
    ------
    DEAError
        Different units in the tables, a variable in two roles, non-finite, negative or zero
        values (the SBM divides by each unit's values), a unit missing a year, bad options, or
        a program HiGHS cannot solve.
    """
    if orientation not in ("non", "input", "output"):
        raise DEAError(f"orientation must be 'non', 'input' or 'output', not {orientation!r}")
    if rts not in ("crs", "vrs"):
        raise DEAError(f"rts must be 'crs' or 'vrs', not {rts!r}")
    outputs, undesirable = _split_undesirable(outputs, undesirable)
    data = read_tables({"input": inputs, "output": outputs, "undesirable output": undesirable},
                       balanced=True)
    for role, frame in data.frames.items():
        _check_positive(frame, role)
    index = data.index
    X = data.arrays["input"]
    G = data.arrays["output"]
    B = data.arrays.get("undesirable output", np.zeros((len(index), 0)))
    names = (data.names["input"] + data.names["output"]
             + data.names.get("undesirable output", []))
    scores = np.full(len(index), np.nan)
    slacks = np.full((len(index), len(names)), np.nan)
    supers = np.full(len(index), np.nan)
    infeasible = []
    for _, rows in blocks(index, frontier):
        F = _Frontier(X[rows], G[rows], B[rows], rts)
        for o, row in enumerate(rows):
            scores[row], slacks[row] = _sbm_unit(F, o, orientation, index[row])
            if super:
                if _efficient(scores[row], slacks[row], F.own(o)):
                    supers[row] = _super_unit(F, o, orientation)
                    if np.isnan(supers[row]):
                        infeasible.append(index[row])
                else:
                    supers[row] = scores[row]
    out = pd.DataFrame({"score": scores}, index=index)
    for j, name in enumerate(names):
        out[f"slack_{name}"] = slacks[:, j]
    out["efficient"] = _efficient(scores, slacks, np.hstack([X, G, B]))
    if super:
        out["super_score"] = supers
    out.attrs = {
        "model": "SBM (Tone 2001)" + (" with undesirable outputs (Tone 2004)" if B.shape[1]
                                      else "") + (", super-efficiency SBM (Tone 2002)"
                                                  if super else ""),
        "rts": rts, "orientation": orientation,
        "undesirable": data.names.get("undesirable output", []),
        "inputs": data.names["input"], "outputs": data.names["output"],
        "frontier": frontier if data.per_year else "cross-section",
        "score": {"non": "ρ = (1 − mean s⁻/x) / (1 + mean s/y over all outputs)",
                  "input": "ρ = 1 − mean s⁻/x", "output": "ρ = 1 / (1 + mean s/y)"}[orientation],
        "efficient": f"ρ ≥ 1 − {_TOL:g} and every slack zero",
        "super_score": ("δ of the super-efficiency SBM for efficient units, ρ otherwise"
                        if super else None),
        "super_infeasible": list(infeasible),
        "linearisation": "Charnes–Cooper",
        "reference": REFERENCES,
        "solver": "scipy.optimize.linprog(method='highs'), one program per unit (two for "
                  "oriented models: the other side's slacks)",
    }
    return out


__all__ = ["sbm"]

"""Productivity change between consecutive years: the DEA Malmquist index (Färe, Grosskopf,
Norris & Zhang 1994) with DEAP's decomposition, and the Malmquist–Luenberger index with
undesirable outputs (Chung, Färe & Grosskopf 1997; Oh 2010), under four reference technologies.

Distances and their names
-------------------------
``E^s(t)`` is the Farrell efficiency of period-``t`` data relative to technology ``s``: ``θ`` of
``min θ`` (input orientation) or ``1/φ`` of ``max φ`` (output orientation), the numbers DEAP
prints as "crs te rel to tech in yr"; it is ≤ 1 on a unit's own year and may exceed 1 across
years. With ``t`` the earlier and ``t1`` the later year of a pair, and ``ref(t)`` the reference
technology of ``t`` (below), the result carries

``d_t_t = E^{ref(t)}(t)``, ``d_t_t1 = E^{ref(t)}(t1)``, ``d_t1_t = E^{ref(t1)}(t)``,
``d_t1_t1 = E^{ref(t1)}(t1)`` — technology first, data second — and

* ``tfpch = [d_t_t1 / d_t_t · d_t1_t1 / d_t1_t]^½`` (> 1: productivity grew, in either
  orientation, DEAP's convention);
* ``effch = te_t1 / te_t`` with ``te`` the CRS efficiency on the unit's own-year technology;
* ``techch = tfpch / effch``;
* under ``rts="vrs"``: ``pech = pte_t1 / pte_t`` (``pte``: VRS efficiency on the own-year
  technology) and ``sech = effch / pech``. This is DEAP 2.1's decomposition (Coelli 1996; FGNZ
  1994): the index and technical change stay on CRS technologies, so ``tfpch = effch × techch``
  and ``effch = pech × sech`` hold exactly. ``decomposition="rd"`` is Ray & Desli's (1997)
  instead: ``techch`` on VRS technologies (cross-year VRS programs, which can be infeasible),
  ``pech`` as above, ``sech = tfpch / (pech × techch)`` and ``effch = pech × sech``.

Reference technologies (``reference=``)
---------------------------------------
``"adjacent"``
    ``ref(t)`` is year ``t``'s frontier: the FGNZ index, the geometric mean of the two
    adjacent-period indices (DEAP).
``"fixed"``
    ``ref(t) = ref(t1)`` = the first year's frontier (Berg, Førsund & Jansen 1992): the index is
    ``d(t1)/d(t)`` and chains (circular); ``effch`` is contemporaneous.
``"global"``
    one frontier of all years (Pastor & Lovell 2005): ``tfpch = E^G(t1)/E^G(t)``, ``effch``
    contemporaneous, and ``techch`` is their best-practice gap change
    ``[E^G(t1)/te_t1] / [E^G(t)/te_t]``. Every program is feasible, also under VRS.
``"sequential"``
    ``ref(t)`` = all years up to ``t`` (Shestalova 2003): no technical regress; ``te`` and
    ``pte`` are measured on the sequential frontiers too.

The Malmquist–Luenberger index replaces the radial distances by the directional distance
``β = D(x, y, b; g_y, g_b)`` of ``max β`` s.t. ``Σλx ≤ x_o``, ``Σλy ≥ y_o + β g_y``,
``Σλb = b_o − β g_b`` (weak disposability of bad outputs: an equality), ``λ ≥ 0`` (``Σλ = 1``
under VRS), ``g = (y_o, b_o)`` by default, and

* adjacent (Chung et al. 1997): ``ML = [(1+β^t(t))/(1+β^t(t1)) · (1+β^{t1}(t))/(1+β^{t1}(t1))]^½``,
  ``EC = (1+β^t(t))/(1+β^{t1}(t1))``, ``TC = ML / EC``;
* global (Oh 2010): ``ML = (1+β^G(t))/(1+β^G(t1))``, ``EC`` contemporaneous as above,
  ``TC = [(1+β^G(t))/(1+β^t(t))] / [(1+β^G(t1))/(1+β^{t1}(t1))]``;

and likewise for "fixed" and "sequential". ``β`` is free in sign across years.

Solving
-------
Every distance is one envelopment program, solved by scipy's HiGHS
(``linprog(method="highs")``). No maintained PyPI package computes Malmquist indices with these
four references, the VRS decompositions and the Malmquist–Luenberger index (pyDEA has none of
them; the R and Stata implementations are not Python), so the programs are written here.
With thousands of units one program per unit-year is slow (a 2,848-unit program takes ~30 ms
in ``linprog``, most of it overhead), so each technology's reference columns are built once,
as one dense block, and only the evaluated unit's own column (``−x_o``, ``y_o`` or ``g``) and
right-hand side are swapped in. Many units are then solved in one call: their programs are
stacked block-diagonally (independent blocks, so the stacked optimum is every block's optimum)
against a *candidate* subset of the reference units, and the reference set is completed by
column generation — a unit whose dual prices price out some reference unit at a negative
reduced cost is solved again with that unit added (the radial programs with a large data set
solved by small ones: Chen & Lai 2017, Ann. Oper. Res. 253). At the end every program's
duals are feasible for the full reference set, so each distance is the full program's optimum.
Each unit starts from a few seed columns plus the reference units its previous program used
(a county's frontier peers change little from one year's data to the next), and units that
another unit dominates (a multiple of it under CRS) are dropped from the technology first —
they lie inside the technology the others span, so no distance changes.
A stacked program that is infeasible is split in halves until the infeasible units are found;
each is then solved alone against the whole reference set, and reported (``NaN``, the
``infeasible`` column, ``attrs["infeasible"]`` and a :class:`MalmquistWarning`) if it is
infeasible there too.

Data are scaled by each variable's mean before solving (radial and proportional directional
distances do not depend on units of measurement; a user ``direction`` is scaled alike).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import linprog

from spatialecon._labels import format_units
from spatialecon.efficiency._data import DEAError, read_tables
from spatialecon.validation import check_choice

Orientation = Literal["input", "output"]
RTS = Literal["crs", "vrs"]
Reference = Literal["adjacent", "fixed", "global", "sequential"]
REFERENCES = ("adjacent", "fixed", "global", "sequential")
INDEX_COLUMNS = ("effch", "techch", "pech", "sech", "tfpch")

_SOLVER = "scipy.optimize.linprog(method='highs')"
# A reference unit whose reduced cost is below −_RC_TOL (on mean-scaled data) enters the
# candidate set; HiGHS's optimality tolerance is 1e-7, its basic duals are far more precise.
_RC_TOL = 1e-9
# Units per stacked program: large enough to amortise linprog's per-call overhead, small
# enough that the simplex stays fast (timed on the 2,848-county benchmark).
_BATCH = 128
# Random directions used to seed each technology's candidate set (column generation completes
# it whatever the seed).
_SEED_DIRECTIONS = 24
# Reference units added to a unit's program per column-generation round.
_ADD = 8
# Largest technology screened for dominated units (the screen is O(n²)).
_DOMINANCE_MAX = 20000


class MalmquistWarning(UserWarning):
    """Cross-year programs without a solution (their index components are NaN)."""


# --------------------------------------------------------------------------- the programs


@dataclass
class _Technology:
    """One reference technology: its units' λ columns, built once, and the candidate subset
    of them that column generation has found necessary so far."""

    ub: np.ndarray  # (m + s) × n: rows x, then −y
    eq: np.ndarray  # (p [+1]) × n: rows b (ML), then ones (VRS)
    candidates: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    # the reference units each evaluated unit's last optimum used (λ > 0): a panel's units
    # change little from year to year, so they start the unit's next program on this
    # technology (its other year's data) close to its optimum
    hints: list[np.ndarray] | None = None
    kept: np.ndarray | None = None  # rows of the stacked years' data behind the columns
    unit_of: np.ndarray | None = None  # unit (panel position) of each column
    column_of: np.ndarray | None = None  # column of each unit (its latest year), or −1

    @property
    def size(self) -> int:
        return self.ub.shape[1]


def _undominated(X: np.ndarray, Y: np.ndarray, vrs: bool) -> np.ndarray:
    """Rows not dominated by another row: such a unit lies inside the technology the others
    span, so dropping it changes no distance (Farrell efficiencies with positive data). Under
    VRS ``k`` dominates ``j`` if ``x_k ≤ x_j`` and ``y_k ≥ y_j``; under CRS if some multiple of
    ``k`` does (``max_r y_jr/y_kr ≤ min_i x_ji/x_ki``). Of equal units the first is kept."""
    n = X.shape[0]
    if n > _DOMINANCE_MAX:
        return np.arange(n)
    keep = np.ones(n, dtype=bool)
    for start in range(0, n, 256):
        j = np.arange(start, min(n, start + 256))
        if vrs:
            covers = ((X[None, :, :] <= X[j, None, :]).all(axis=2)
                      & (Y[None, :, :] >= Y[j, None, :]).all(axis=2))  # k covers j
            covered = ((X[None, :, :] >= X[j, None, :]).all(axis=2)
                       & (Y[None, :, :] <= Y[j, None, :]).all(axis=2))  # j covers k
        else:
            need = (Y[j, None, :] / Y[None, :, :]).max(axis=2)   # smallest scale of k for y_j
            room = (X[j, None, :] / X[None, :, :]).min(axis=2)   # largest scale within x_j
            covers = need <= room
            covered = (X[None, :, :] / X[j, None, :]).min(axis=2) >= \
                (Y[None, :, :] / Y[j, None, :]).max(axis=2)
        rows = np.arange(j.size)
        covers[rows, j] = False
        # k removes j if it covers j strictly, or equally and comes first
        removes = covers & (~covered | (np.arange(n)[None, :] < j[:, None]))
        keep[j] = ~removes.any(axis=1)
    return np.flatnonzero(keep)


def _technology(X: np.ndarray, Y: np.ndarray, B: np.ndarray | None, vrs: bool) -> _Technology:
    kept = np.arange(X.shape[0])
    if B is None:  # with weakly disposable bad outputs (equalities) nothing is dominated
        kept = _undominated(X, Y, vrs)
        X, Y = X[kept], Y[kept]
    n = X.shape[0]
    eq = [B.T] if B is not None else []
    if vrs:
        eq.append(np.ones((1, n)))
    tech = _Technology(ub=np.vstack([X.T, -Y.T]),
                       eq=np.vstack(eq) if eq else np.zeros((0, n)))
    # Seed: the best units along random ratio (CRS) and difference (VRS) directions, and the
    # extremes of every variable — most of them span the frontier.
    rng = np.random.default_rng(12345)
    good = Y if B is None else np.hstack([Y, -B])
    seeds = {int(np.argmax(good[:, r])) for r in range(good.shape[1])}
    seeds |= {int(np.argmin(X[:, i])) for i in range(X.shape[1])}
    if B is not None:  # bad outputs enter as equalities: keep their extremes too
        seeds |= {int(np.argmax(B[:, k])) for k in range(B.shape[1])}
    for _ in range(_SEED_DIRECTIONS):
        u = rng.uniform(0.05, 1, good.shape[1])
        v = rng.uniform(0.05, 1, X.shape[1])
        gain = good @ u
        seeds.add(int(np.argmax(gain - X @ v) if vrs else np.argmax(gain / (X @ v))))
    tech.candidates = np.array(sorted(seeds), dtype=int)
    tech.kept = kept
    return tech


@dataclass(frozen=True)
class _Evaluated:
    """The evaluated units' own parts of their programs: the score variable's column and the
    right-hand sides (one row per unit), and the objective coefficient of the score."""

    a_ub: np.ndarray
    b_ub: np.ndarray
    a_eq: np.ndarray
    b_eq: np.ndarray
    c: float

    def take(self, rows: np.ndarray) -> _Evaluated:
        return _Evaluated(self.a_ub[rows], self.b_ub[rows], self.a_eq[rows], self.b_eq[rows],
                          self.c)

    def __len__(self) -> int:
        return self.a_ub.shape[0]


def _evaluated(kind: str, X: np.ndarray, Y: np.ndarray, B: np.ndarray | None, vrs: bool,
               gy: np.ndarray | None = None, gb: np.ndarray | None = None) -> _Evaluated:
    """Programs of the rows of (X, Y[, B]) in variables ``[z, λ]``:

    * ``"input"``: min θ, ``Σλx − θx_o ≤ 0``, ``−Σλy ≤ −y_o``;
    * ``"output"``: max φ, ``Σλx ≤ x_o``, ``φy_o − Σλy ≤ 0``;
    * ``"ddf"``: max β, ``Σλx ≤ x_o``, ``βg_y − Σλy ≤ −y_o``, ``Σλb + βg_b = b_o``;

    plus ``Σλ = 1`` under VRS.
    """
    n, m, s = X.shape[0], X.shape[1], Y.shape[1]
    if kind == "input":
        a_ub = np.hstack([-X, np.zeros((n, s))])
        b_ub = np.hstack([np.zeros((n, m)), -Y])
        c = 1.0
    elif kind == "output":
        a_ub = np.hstack([np.zeros((n, m)), Y])
        b_ub = np.hstack([X, np.zeros((n, s))])
        c = -1.0
    else:
        a_ub = np.hstack([np.zeros((n, m)), gy])
        b_ub = np.hstack([X, -Y])
        c = -1.0
    a_eq = [gb] if kind == "ddf" else []
    b_eq = [B] if kind == "ddf" else []
    if vrs:
        a_eq.append(np.zeros((n, 1)))
        b_eq.append(np.ones((n, 1)))
    a_eq = np.hstack(a_eq) if a_eq else np.zeros((n, 0))
    b_eq = np.hstack(b_eq) if b_eq else np.zeros((n, 0))
    return _Evaluated(a_ub, b_ub, a_eq, b_eq, c)


def _block_matrix(own: np.ndarray, ref: np.ndarray, sets: list[np.ndarray]
                  ) -> tuple[sp.csr_matrix, np.ndarray]:
    """Block-diagonal constraint matrix of K programs: block ``k`` is ``[own[k] | ref[:, sets[k]]]``
    (the unit's score column, then its λ columns); also each block's first variable."""
    K, r = own.shape
    widths = np.array([len(s) for s in sets]) + 1
    first = np.concatenate([[0], np.cumsum(widths)[:-1]])
    cols = np.concatenate(sets).astype(int)
    owner = np.repeat(np.arange(K), widths - 1)
    start = np.concatenate([[0], np.cumsum(widths - 1)[:-1]])
    var = first[owner] + 1 + np.arange(cols.size) - start[owner]
    rows = np.concatenate([(np.arange(K)[:, None] * r + np.arange(r)).ravel(),
                           (owner[None, :] * r + np.arange(r)[:, None]).ravel()])
    columns = np.concatenate([np.repeat(first, r), np.tile(var, r)])
    data = np.concatenate([own.ravel(), ref[:, cols].ravel()])
    keep = data != 0
    matrix = sp.csr_matrix((data[keep], (rows[keep], columns[keep])),
                           shape=(K * r, int(widths.sum())))
    return matrix, first, owner, cols, var


def _stacked(tech: _Technology, units: _Evaluated, sets: list[np.ndarray]) -> tuple[Any, ...]:
    """One linprog call for all ``units``, unit ``k`` against reference columns ``sets[k]``;
    (result, position of each unit's score variable, and of each λ: owner, column, variable)."""
    A_ub, first, owner, cols, var = _block_matrix(units.a_ub, tech.ub, sets)
    size = A_ub.shape[1]
    c = np.zeros(size)
    c[first] = units.c
    bounds = np.zeros((size, 2))
    bounds[:, 1] = np.inf
    bounds[first, 0] = -np.inf  # the score is free (β may be negative across years)
    A_eq = b_eq = None
    if units.a_eq.shape[1]:
        A_eq = _block_matrix(units.a_eq, tech.eq, sets)[0]
        b_eq = units.b_eq.ravel()
    result = linprog(c, A_ub=A_ub, b_ub=units.b_ub.ravel(), A_eq=A_eq, b_eq=b_eq,
                     bounds=bounds, method="highs")
    return result, first, owner, cols, var


def _solve_batch(tech: _Technology, units: _Evaluated, rows: np.ndarray,
                 sets: list[np.ndarray], labels: Sequence[Any], out: dict[str, np.ndarray]
                 ) -> None:
    """Solve ``rows`` stacked, each against its column set; record score, duals, finality.

    An infeasible stack is split in halves; a unit infeasible alone against its columns is
    solved against the whole technology (final; NaN when infeasible there too)."""
    part = units.take(rows)
    result, first, owner, cols, var = _stacked(tech, part, [sets[i] for i in rows])
    if result.status == 0:
        out["z"][rows] = result.x[first]
        used = result.x[var] > 1e-10
        bounds = np.searchsorted(owner[used], np.arange(1, len(rows)))
        for o, support in zip(rows, np.split(cols[used], bounds), strict=True):
            out["support"][o] = support
        out["mu_ub"][rows] = result.ineqlin.marginals.reshape(len(rows), -1)
        if units.a_eq.shape[1]:
            out["mu_eq"][rows] = result.eqlin.marginals.reshape(len(rows), -1)
        out["final"][rows] = False
        return
    if result.status != 2:
        raise DEAError(f"the programs of {format_units([labels[i] for i in rows])} could not "
                       f"be solved: {result.message}")
    if len(rows) > 1:
        half = len(rows) // 2
        _solve_batch(tech, units, rows[:half], sets, labels, out)
        _solve_batch(tech, units, rows[half:], sets, labels, out)
        return
    result, _, _, cols, var = _stacked(tech, part, [np.arange(tech.size)])
    out["final"][rows] = True
    if result.status == 2:
        out["z"][rows] = np.nan
    elif result.status == 0:
        out["z"][rows] = result.x[0]
        out["support"][rows[0]] = cols[result.x[var] > 1e-10]
    else:
        raise DEAError(f"the program of {format_units([labels[rows[0]]])} could not be "
                       f"solved: {result.message}")


def _solve(tech: _Technology, units: _Evaluated, labels: Sequence[Any]) -> np.ndarray:
    """Optimal score of every evaluated unit against the whole technology (NaN: infeasible),
    by stacked programs and column generation: each unit starts from the technology's seed
    columns and gets, round by round, the reference units its duals price out most (at most
    ``_ADD`` a round) until none prices out."""
    n = len(units)
    out = {"z": np.full(n, np.nan), "final": np.zeros(n, dtype=bool),
           "mu_ub": np.zeros((n, tech.ub.shape[0])), "mu_eq": np.zeros((n, tech.eq.shape[0])),
           "support": [np.zeros(0, dtype=int)] * n}
    if tech.hints is not None and len(tech.hints) == n:
        sets = [np.union1d(tech.candidates, hint) for hint in tech.hints]
    else:
        sets = [tech.candidates] * n
    pending = np.arange(n)
    while pending.size:
        for start in range(0, pending.size, _BATCH):
            _solve_batch(tech, units, pending[start:start + _BATCH], sets, labels, out)
        check = pending[~out["final"][pending]]
        again = []
        for start in range(0, check.size, _BATCH):
            rows = check[start:start + _BATCH]
            # reduced costs of every reference column at each unit's duals (λ costs 0);
            # columns a unit already has are skipped (a negative value there is rounding)
            rc = _reduced_costs(tech, out["mu_ub"][rows], out["mu_eq"][rows])
            lengths = [len(sets[o]) for o in rows]
            rc[np.repeat(np.arange(rows.size), lengths),
               np.concatenate([sets[o] for o in rows])] = np.inf
            add = min(_ADD, tech.size)
            top = np.argpartition(rc, add - 1, axis=1)[:, :add] if add < tech.size else \
                np.broadcast_to(np.arange(tech.size), (rows.size, tech.size))
            priced = rc[np.arange(rows.size)[:, None], top] < -_RC_TOL
            for k in np.flatnonzero(priced.any(axis=1)):
                o = rows[k]
                sets[o] = np.concatenate([sets[o], top[k][priced[k]]])
                again.append(o)
        pending = np.array(again, dtype=int)
    tech.hints = out["support"]
    return out["z"]


def _reduced_costs(tech: _Technology, mu_ub: np.ndarray, mu_eq: np.ndarray) -> np.ndarray:
    """``−(μ_ub·P_ub + μ_eq·P_eq)`` for every reference column (rows of μ: units), summed row
    by row (a handful of rows; faster than a BLAS call on this shape)."""
    rc = np.zeros((mu_ub.shape[0], tech.size))
    for mu, P in ((mu_ub, tech.ub), (mu_eq, tech.eq)):
        for i in range(P.shape[0]):
            rc -= mu[:, i, None] * P[i]
    return rc


# --------------------------------------------------------------------------- the panel


@dataclass
class _Panel:
    index: pd.Index  # (code, year) of every row, as given
    code: str
    units: pd.Index
    years: list[Any]
    arrays: dict[str, np.ndarray]  # role → years × units × variables, mean-scaled
    scale: dict[str, np.ndarray]
    names: dict[str, list[str]]


def _select(panel: Any, names: Any, role: str) -> Any:
    """``panel=`` given: the role's variables picked from a tidy panel by name."""
    if panel is None or isinstance(names, (pd.DataFrame, pd.Series)) or names is None:
        return names
    wanted = [names] if isinstance(names, str) else list(names)
    missing = [v for v in wanted if v not in set(panel["variable"])]
    if missing:
        raise DEAError(f"{role} variable(s) {', '.join(map(repr, missing))} are not in the "
                       "panel")
    return panel[panel["variable"].isin(wanted)]


def _read(tables: Mapping[str, Any], what: str) -> _Panel:
    data = read_tables(tables, balanced=True)
    if not data.per_year:
        raise DEAError(f"{what} compares units across years: index the tables by (adcode, year) "
                       "or give tidy panels with a year column")
    index = data.index
    code = next(n for n in index.names if n != "year")
    years = sorted(index.get_level_values("year").unique())
    if len(years) < 2:
        raise DEAError(f"{what} needs at least two years; the data have one ({years[0]})")
    for role, frame in data.frames.items():
        values = frame.to_numpy()
        bad = values <= 0
        if bad.any():
            j = int(np.flatnonzero(bad.any(axis=0))[0])
            raise DEAError(f"{role} {frame.columns[j]!r} is zero for "
                           f"{format_units(list(frame.index[bad[:, j]]))}: the distance "
                           f"functions of {what} need positive {role}s (a zero makes a "
                           "cross-year program unbounded or infeasible); drop the unit or "
                           "the variable")
    units = index.get_level_values(code).unique().sort_values()
    full = pd.MultiIndex.from_product([units, years], names=[code, "year"])
    arrays, scale = {}, {}
    for role, frame in data.frames.items():
        frame = frame.reorder_levels([code, "year"]) if index.names[0] == "year" else frame
        values = frame.reindex(full).to_numpy().reshape(len(units), len(years), -1)
        scale[role] = values.reshape(-1, values.shape[2]).mean(axis=0)
        arrays[role] = np.transpose(values / scale[role], (1, 0, 2)).copy()
    return _Panel(index, code, units, years, arrays, scale, data.names)


class _Distances:
    """Distances ``E^{tech}(data year)`` computed once each and cached."""

    def __init__(self, panel: _Panel, kind: str, direction: Any = None) -> None:
        self.panel, self.kind, self.direction = panel, kind, direction
        self.techs: dict[tuple, _Technology] = {}
        self.values: dict[tuple, np.ndarray] = {}
        self.last_units: list[np.ndarray] | None = None

    def _rows(self, tech: tuple) -> np.ndarray:
        """Year positions spanning a technology key ``(name, position)``."""
        name, t = tech
        T = len(self.panel.years)
        return {"year": [t], "sequential": list(range(t + 1)),
                "global": list(range(T))}[name]

    def technology(self, tech: tuple, vrs: bool) -> _Technology:
        key = (*tech, vrs)
        if key not in self.techs:
            years = self._rows(tech)
            arr = self.panel.arrays
            stack = [np.concatenate([arr[r][y] for y in years]) for r in self.roles]
            bad = stack[2] if len(stack) > 2 else None
            made = _technology(stack[0], stack[1], bad, vrs)
            # the unit behind each column (rows are stacked year by year); where a unit has
            # columns in several years, its latest one represents it in transferred hints
            n = len(self.panel.units)
            made.unit_of = made.kept % n
            made.column_of = np.full(n, -1)
            made.column_of[made.unit_of] = np.arange(made.size)
            self.techs[key] = made
        return self.techs[key]

    def _transfer(self, tech: _Technology) -> None:
        """Hints for a technology not solved yet: the reference *units* the last program of
        each evaluated unit used, on whatever technology, mapped to this one's columns (the
        same counties are usually on the frontier the next year, or under VRS)."""
        if tech.hints is not None or self.last_units is None:
            return
        hints = []
        for units in self.last_units:
            columns = tech.column_of[units]
            hints.append(columns[columns >= 0])
        tech.hints = hints

    @property
    def roles(self) -> list[str]:
        return list(self.panel.arrays)

    def get(self, tech: tuple, year: int, vrs: bool) -> np.ndarray:
        """Farrell efficiencies (radial) or β (ddf) of year-position ``year``'s data."""
        key = (*tech, year, vrs)
        if key in self.values:
            return self.values[key]
        arr = self.panel.arrays
        X, Y = arr[self.roles[0]][year], arr[self.roles[1]][year]
        B = arr[self.roles[2]][year] if len(self.roles) > 2 else None
        if self.kind == "ddf":
            gy, gb = self._direction(Y, B, year)
            units = _evaluated("ddf", X, Y, B, vrs, gy, gb)
        else:
            units = _evaluated(self.kind, X, Y, None, vrs)
        labels = [(u, self.panel.years[year]) for u in self.panel.units]
        technology = self.technology(tech, vrs)
        self._transfer(technology)
        z = _solve(technology, units, labels)
        self.last_units = [technology.unit_of[h] for h in technology.hints]
        value = 1.0 / z if self.kind == "output" else z
        self.values[key] = value
        return value

    def _direction(self, Y: np.ndarray, B: np.ndarray, year: int
                   ) -> tuple[np.ndarray, np.ndarray]:
        if self.direction is None:
            return Y, B
        gy, gb = self.direction
        n = Y.shape[0]
        s_y, s_b = self.panel.scale[self.roles[1]], self.panel.scale[self.roles[2]]
        return (np.broadcast_to(np.asarray(gy, float) / s_y, (n, Y.shape[1])),
                np.broadcast_to(np.asarray(gb, float) / s_b, (n, B.shape[1])))


def _references(reference: str, t: int) -> tuple[tuple, tuple, tuple, tuple]:
    """(ref(t), ref(t1), own(t), own(t1)) technology keys for the pair (t, t + 1)."""
    own = ("sequential", t) if reference == "sequential" else ("year", t)
    own1 = ("sequential", t + 1) if reference == "sequential" else ("year", t + 1)
    if reference == "adjacent":
        return ("year", t), ("year", t + 1), own, own1
    if reference == "sequential":
        return own, own1, own, own1
    if reference == "fixed":
        return ("year", 0), ("year", 0), own, own1
    return ("global", 0), ("global", 0), own, own1


def _frame(panel: _Panel, rows: list[dict[str, np.ndarray]]) -> pd.DataFrame:
    parts = []
    for t, row in enumerate(rows):
        part = pd.DataFrame(row)
        part.insert(0, "from_year", panel.years[t])
        part.index = pd.MultiIndex.from_product([panel.units, [panel.years[t + 1]]],
                                                names=[panel.code, "year"])
        parts.append(part)
    return pd.concat(parts).sort_index()


def _flag(out: pd.DataFrame, dist_columns: list[str], panel: _Panel, what: str
          ) -> list[dict[str, Any]]:
    """The ``infeasible`` column, its records and the warning naming the unit-years."""
    missing = out[dist_columns].isna()
    out["infeasible"] = missing.any(axis=1)
    records = []
    for (unit, year), row in missing[out["infeasible"]].iterrows():
        programs = [c for c in dist_columns if row[c]]
        records.append({panel.code: unit, "year": year,
                        "from_year": out.loc[(unit, year), "from_year"], "programs": programs})
    if records:
        shown = "; ".join(f"{r[panel.code]} ({r['from_year']}→{r['year']}): "
                          f"{', '.join(r['programs'])}" for r in records[:8])
        more = f" … ({len(records)} in all)" if len(records) > 8 else ""
        warnings.warn(f"{what}: {len(records)} unit-year(s) with a cross-year program that "
                      f"has no solution (the unit lies outside the other year's technology), "
                      f"so their index is NaN: {shown}{more}", MalmquistWarning, stacklevel=3)
    return records


def cumulate(result: pd.DataFrame) -> pd.DataFrame:
    """Cumulative indices: each unit's running product over the years of ``effch``, ``techch``,
    ``pech``, ``sech`` and ``tfpch`` (columns ``<name>_cum``; the first year of each unit's
    chain is the first pair's later year). A NaN link makes the rest of that unit's chain NaN.
    Under ``reference="fixed"`` or ``"global"`` the cumulative ``tfpch`` equals the direct
    comparison with the first year (those indices are circular)."""
    out = result.copy()
    code = next(n for n in result.index.names if n != "year")
    for column in INDEX_COLUMNS:
        if column in out:
            log = np.log(out[column]).groupby(level=code).transform(
                lambda s: s.cumsum(skipna=False))
            out[f"{column}_cum"] = np.exp(log)
    out.attrs = dict(result.attrs, cumulative="running product over years per unit")
    return out


def malmquist(
    inputs: Any,
    outputs: Any,
    *,
    rts: RTS = "crs",
    orientation: Orientation = "input",
    reference: Reference = "adjacent",
    decomposition: Literal["fgnz", "rd"] = "fgnz",
    cumulative: bool = False,
    panel: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The DEA Malmquist productivity index between consecutive years and its decomposition.

    Parameters
    ----------
    inputs, outputs
        Wide tables indexed by ``(adcode, year)`` (the same rows), or tidy panels (every
        variable used), or — with ``panel=`` — variable names picked from that tidy panel. The
        panel must be balanced, with at least two years and positive values.
    rts
        ``"crs"``: ``effch``, ``techch``, ``tfpch``; ``"vrs"`` adds ``pech`` and ``sech``
        (DEAP's decomposition; the index itself stays on CRS technologies, as in DEAP).
    orientation
        ``"input"`` (θ) or ``"output"`` (1/φ). Under CRS both give the same numbers.
    reference
        ``"adjacent"`` (FGNZ), ``"fixed"`` (first year's frontier), ``"global"`` (Pastor &
        Lovell 2005) or ``"sequential"`` (Shestalova 2003); see the module notes.
    decomposition
        ``"fgnz"`` (DEAP) or ``"rd"`` (Ray & Desli 1997: technical change on VRS technologies;
        only with ``rts="vrs"``).
    cumulative
        Add the running products ``<index>_cum`` (see :func:`cumulate`).
    panel
        A tidy panel from which ``inputs``/``outputs`` (names) are taken.

    Returns
    -------
    pandas.DataFrame
        One row per unit and later year of each pair, indexed ``(adcode, year)``: ``from_year``,
        ``effch``, ``techch``, (``pech``, ``sech``), ``tfpch``, the distances ``d_t_t``,
        ``d_t_t1``, ``d_t1_t``, ``d_t1_t1`` (technology first, data second), the own-year
        efficiencies ``te_t``, ``te_t1`` (and ``pte_t``, ``pte_t1``; under ``"rd"`` also the
        VRS ``v_*`` distances) and ``infeasible``. ``attrs`` records the conventions, the
        solver and ``infeasible`` (records of unit, year, from_year, programs).

    Raises
    ------
    DEAError
        Tables covering different units, a unit missing a year, one year only, zero, negative
        or non-finite values (naming unit, year and variable), a program HiGHS cannot solve.
    ParameterError
        An unknown ``rts``, ``orientation``, ``reference`` or ``decomposition``.

    Warns
    -----
    MalmquistWarning
        When cross-year programs are infeasible (VRS technologies under ``"rd"``): those
        components are NaN and the unit-years are listed.
    """
    check_choice(rts, "rts", ("crs", "vrs"))
    check_choice(orientation, "orientation", ("input", "output"))
    check_choice(reference, "reference", REFERENCES)
    check_choice(decomposition, "decomposition", ("fgnz", "rd"))
    if decomposition == "rd" and rts != "vrs":
        raise DEAError("decomposition='rd' splits efficiency change into pure and scale "
                       "parts: it needs rts='vrs'")
    data = _read({"input": _select(panel, inputs, "input"),
                  "output": _select(panel, outputs, "output")}, "the Malmquist index")
    crs = _Distances(data, orientation)
    rows = []
    dist_columns = ["d_t_t", "d_t_t1", "d_t1_t", "d_t1_t1"]
    for t in range(len(data.years) - 1):
        ref_a, ref_b, own_a, own_b = _references(reference, t)
        row = {"d_t_t": crs.get(ref_a, t, False), "d_t_t1": crs.get(ref_a, t + 1, False),
               "d_t1_t": crs.get(ref_b, t, False), "d_t1_t1": crs.get(ref_b, t + 1, False),
               "te_t": crs.get(own_a, t, False), "te_t1": crs.get(own_b, t + 1, False)}
        row["tfpch"] = np.sqrt(row["d_t_t1"] / row["d_t_t"] * row["d_t1_t1"] / row["d_t1_t"])
        row["effch"] = row["te_t1"] / row["te_t"]
        row["techch"] = row["tfpch"] / row["effch"]
        if rts == "vrs":
            row["pte_t"] = crs.get(own_a, t, True)
            row["pte_t1"] = crs.get(own_b, t + 1, True)
            row["pech"] = row["pte_t1"] / row["pte_t"]
            row["sech"] = row["effch"] / row["pech"]
        if decomposition == "rd":
            for name, tech, year in (("v_t_t", ref_a, t), ("v_t_t1", ref_a, t + 1),
                                     ("v_t1_t", ref_b, t), ("v_t1_t1", ref_b, t + 1)):
                row[name] = crs.get(tech, year, True)
            row["techch"] = np.sqrt(row["v_t_t1"] / row["v_t1_t1"]
                                    * row["v_t_t"] / row["v_t1_t"])
            row["sech"] = row["tfpch"] / (row["pech"] * row["techch"])
            row["effch"] = row["pech"] * row["sech"]
        rows.append(row)
    out = _frame(data, rows)
    if decomposition == "rd":
        dist_columns += ["v_t_t", "v_t_t1", "v_t1_t", "v_t1_t1"]
    order = ["from_year", "effch", "techch"] + (["pech", "sech"] if rts == "vrs" else []) + \
        ["tfpch", *dist_columns, "te_t", "te_t1"] + (["pte_t", "pte_t1"] if rts == "vrs" else [])
    out = out[list(dict.fromkeys(order))]
    records = _flag(out, dist_columns, data, "malmquist")
    out.attrs = {
        "method": "Malmquist productivity index (DEA; Färe, Grosskopf, Norris & Zhang 1994)",
        "index": "tfpch = [d_t_t1/d_t_t · d_t1_t1/d_t1_t]^(1/2); > 1 is growth",
        "rts": rts, "orientation": orientation, "reference": reference,
        "decomposition": ("FGNZ/DEAP 2.1: index and techch on CRS technologies, effch = "
                          "te_t1/te_t, pech = pte_t1/pte_t (VRS), sech = effch/pech"
                          if decomposition == "fgnz" else
                          "Ray & Desli 1997: techch on VRS technologies, pech = pte_t1/pte_t, "
                          "sech = tfpch/(pech·techch), effch = pech·sech"),
        "distances": ("Farrell efficiencies E^{technology}(data): θ (input) or 1/φ (output); "
                      "d_t_t1 = technology of ref(t), data of the later year t1"),
        "technologies": {"adjacent": "ref(t) = year t", "fixed": "ref = first year",
                         "global": "ref = all years pooled",
                         "sequential": "ref(t) = years up to t"}[reference],
        "base_year": data.years[0] if reference == "fixed" else None,
        "year": "the later year of each pair (from_year the earlier)",
        "solver": _SOLVER + ", stacked programs with column generation",
        "inputs": data.names["input"], "outputs": data.names["output"],
        "infeasible": records,
    }
    return cumulate(out) if cumulative else out


def malmquist_luenberger(
    inputs: Any,
    outputs: Any,
    undesirable: Any,
    *,
    reference: Reference = "global",
    direction: tuple[Sequence[float], Sequence[float]] | None = None,
    rts: RTS = "crs",
    cumulative: bool = False,
    panel: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The Malmquist–Luenberger index with undesirable outputs (directional distances).

    Parameters
    ----------
    inputs, outputs, undesirable
        As for :func:`malmquist`; ``undesirable`` are the bad outputs (weakly disposable), none
        of which may also be a desirable output.
    reference
        ``"global"`` (Oh 2010's GML, default), ``"adjacent"`` (Chung, Färe & Grosskopf 1997),
        ``"fixed"`` or ``"sequential"``.
    direction
        ``(g_y, g_b)`` in the variables' units, the same for every unit; default each unit's
        own ``(y, b)``: expand good and contract bad outputs proportionally.
    rts
        ``"crs"`` or ``"vrs"`` (``Σλ = 1``) technologies.
    cumulative, panel
        As for :func:`malmquist`.

    Returns
    -------
    pandas.DataFrame
        ``from_year``, ``tfpch`` (the ML index; > 1 is growth), ``effch``, ``techch`` (EC × TC),
        the directional distances ``d_t_t`` … ``d_t1_t1`` (β; technology first, data second),
        the own-year ``ddf_t``, ``ddf_t1`` and ``infeasible``; ``attrs`` as for
        :func:`malmquist` with ``index="Malmquist–Luenberger"``.
    """
    check_choice(reference, "reference", REFERENCES)
    check_choice(rts, "rts", ("crs", "vrs"))
    data = _read({"input": _select(panel, inputs, "input"),
                  "output": _select(panel, outputs, "output"),
                  "undesirable output": _select(panel, undesirable, "undesirable output")},
                 "the Malmquist–Luenberger index")
    if direction is not None:
        gy, gb = (np.atleast_1d(np.asarray(g, dtype=float)) for g in direction)
        if gy.shape != (len(data.names["output"]),) or \
                gb.shape != (len(data.names["undesirable output"]),):
            raise DEAError(f"direction must be (g_y, g_b) with {len(data.names['output'])} and "
                           f"{len(data.names['undesirable output'])} values")
        if (gy < 0).any() or (gb < 0).any() or not (gy.any() or gb.any()):
            raise DEAError("direction: g_y and g_b must be non-negative and not all zero")
        direction = (gy, gb)
    vrs = rts == "vrs"
    ddf = _Distances(data, "ddf", direction)
    rows = []
    for t in range(len(data.years) - 1):
        ref_a, ref_b, own_a, own_b = _references(reference, t)
        row = {"d_t_t": ddf.get(ref_a, t, vrs), "d_t_t1": ddf.get(ref_a, t + 1, vrs),
               "d_t1_t": ddf.get(ref_b, t, vrs), "d_t1_t1": ddf.get(ref_b, t + 1, vrs),
               "ddf_t": ddf.get(own_a, t, vrs), "ddf_t1": ddf.get(own_b, t + 1, vrs)}
        row["tfpch"] = np.sqrt((1 + row["d_t_t"]) / (1 + row["d_t_t1"])
                               * (1 + row["d_t1_t"]) / (1 + row["d_t1_t1"]))
        row["effch"] = (1 + row["ddf_t"]) / (1 + row["ddf_t1"])
        row["techch"] = row["tfpch"] / row["effch"]
        rows.append(row)
    out = _frame(data, rows)
    dist_columns = ["d_t_t", "d_t_t1", "d_t1_t", "d_t1_t1"]
    out = out[["from_year", "effch", "techch", "tfpch", *dist_columns, "ddf_t", "ddf_t1"]]
    records = _flag(out, dist_columns, data, "malmquist_luenberger")
    out.attrs = {
        "method": "Malmquist–Luenberger index (Chung, Färe & Grosskopf 1997; global: Oh 2010)",
        "index": ("Malmquist–Luenberger: tfpch = [(1+d_t_t)/(1+d_t_t1) · (1+d_t1_t)/(1+d_t1_t1)]"
                  "^(1/2); > 1 is growth"),
        "rts": rts, "reference": reference,
        "direction": ("(y, b) of each unit" if direction is None else
                      {"g_y": direction[0].tolist(), "g_b": direction[1].tolist()}),
        "bad outputs": "weakly disposable (equality constraints), null-jointness not imposed",
        "distances": ("directional distances β = D(x, y, b; g) (0 on the frontier); d_t_t1 = "
                      "technology of ref(t), data of the later year t1"),
        "technologies": {"adjacent": "ref(t) = year t", "fixed": "ref = first year",
                         "global": "ref = all years pooled",
                         "sequential": "ref(t) = years up to t"}[reference],
        "year": "the later year of each pair (from_year the earlier)",
        "solver": _SOLVER + ", stacked programs with column generation",
        "inputs": data.names["input"], "outputs": data.names["output"],
        "undesirable": data.names["undesirable output"],
        "infeasible": records,
    }
    return cumulate(out) if cumulative else out


def _geomean(frame: pd.DataFrame) -> pd.Series:
    return np.exp(np.log(frame).mean())


def summary_by(result: pd.DataFrame, groups: Any = "year") -> pd.DataFrame:
    """The tables papers print: geometric means of the index columns by group.

    Parameters
    ----------
    result
        Output of :func:`malmquist` or :func:`malmquist_luenberger`.
    groups
        ``"year"`` (DEAP's "summary of annual means": over units, per pair), ``"unit"`` (its
        "summary of firm means": over years, per unit), a region scheme of
        :func:`spatialecon.geodata.regions` (``"nbs4"`` …; county codes are mapped to their
        province) or a Series mapping ``adcode`` to a group label.

    Returns
    -------
    pandas.DataFrame
        One row per group and a final ``"mean"`` row (the geometric mean over all rows), with
        the index columns present (``effch``, ``techch``, ``pech``, ``sech``, ``tfpch``); rows
        with NaN (infeasible programs) are left out and counted in ``attrs["dropped"]``.
    """
    code = next(n for n in result.index.names if n != "year")
    columns = [c for c in INDEX_COLUMNS if c in result]
    values = result[columns]
    dropped = int(values.isna().any(axis=1).sum())
    values = values.dropna()
    if isinstance(groups, str) and groups == "year":
        keys, name = values.index.get_level_values("year"), "year"
    elif isinstance(groups, str) and groups == "unit":
        keys, name = values.index.get_level_values(code), code
    else:
        if isinstance(groups, str):
            from spatialecon.geodata import regions

            mapping = regions(groups)
            name = groups
        else:
            mapping, name = pd.Series(groups), getattr(groups, "name", None) or "group"
        codes = pd.Series(values.index.get_level_values(code))
        keys = codes.map(mapping)
        province = (codes // 10000 * 10000).map(mapping) if pd.api.types.is_integer_dtype(
            codes) else keys
        keys = keys.fillna(province)
        if keys.isna().any():
            raise DEAError(f"no group for unit(s) {format_units(codes[keys.isna()].unique())}")
        keys = pd.Index(keys.to_numpy(), name=name)
    table = values.groupby(np.asarray(keys)).apply(_geomean)
    table.index.name = name
    table.loc["mean"] = _geomean(values)
    table.attrs = {"means": "geometric", "groups": name, "dropped": dropped,
                   "method": result.attrs.get("method")}
    return table


__all__ = ["MalmquistWarning", "cumulate", "malmquist", "malmquist_luenberger", "summary_by"]

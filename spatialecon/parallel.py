"""Beyond one machine: an optional Dask backend for the partitioned workloads.

Every entry point below runs in-process by default (``backend="serial"``) and on a
``dask.distributed`` cluster with ``backend="dask"``, with identical results — the same blocks
combined in the same order, every random draw keyed by the seed and the unit or task, never by
the worker or the order tasks run in:

1. **LISA permutations by blocks of units** — :func:`spatialecon.autocorrelation.local_moran`
   (``block_units``): z and the CSR arrays of W are scattered once to every worker; each task
   is a range of unit numbers and returns their statistics.
2. **Zonal statistics by blocks of polygons** — :func:`spatialecon.raster.zonal_stats`: each
   task ships one spatially compact block's geometries and opens the raster by path.
3. **Geodetector moments by chunks of rows** — :func:`spatialecon.geodetector.geodetector`
   (``chunk_rows``): each chunk of encoded rows goes to one worker; the per-stratum moment
   tables come back and are merged.
4. **Raster geodetector over windows** — :func:`spatialecon.raster.raster_geodetector`: a
   window of rows per task, tables summed in a fixed binary tree (:func:`tree_reduce`).
5. **Moran for many variable-years** — :func:`moran_panel`: one task per (variable, year),
   each with the seed :func:`task_seed` derives from the base seed and its key.

:func:`map_blocks` (1–3) and :func:`map_reduce` (4) are the two building blocks. A worker that
dies mid-run has its tasks re-run elsewhere (its nanny restarts it), and the result is complete;
when the scheduler gives up (a task's workers died ``distributed.scheduler.allowed-failures``
times, or every worker holding its input died), the run ends in :class:`ClusterError` naming
the block — a partial result is never returned.

Dask is an optional extra (``pip install "spatialecon[dask]"``, i.e. ``dask[distributed]``);
nothing here imports it unless ``backend="dask"`` is asked for.

Pointing it at a cluster
------------------------
Start a scheduler and workers (``dask scheduler`` and ``dask worker tcp://host:8786`` on
each machine, or a ``dask_jobqueue.SLURMCluster``/``dask_kubernetes`` cluster), then::

    from distributed import Client
    client = Client("tcp://scheduler-host:8786")      # or Client(cluster)
    local_moran(grid, "ntl", w, permutations=999, seed=0, backend="dask", client=client)
    zonal_stats("/shared/pop_1km.tif", townships, ["mean", "sum"], backend="dask",
                client=client)
    geodetector(cells, "ndvi", factors, backend="dask", client=client, chunk_rows=2**22)
    raster_geodetector("/shared/ndvi.tif", {"landuse": "/shared/lu.tif"},
                       backend="dask", client=client)
    moran_panel(panel, w, backend="dask", client=client)

Without ``client=`` the current default client (the last ``Client`` created) is used, else
Dask's local threaded scheduler. Workers need spatialecon installed in the same version,
and rasters at paths (or GDAL URIs such as ``/vsis3/bucket/key.tif``) that every worker can
open: datasets made with :func:`spatialecon.raster.from_array` live in ``/vsimem/`` of one
process and work only with ``LocalCluster(processes=False)`` (zonal statistics refuse them).
Make tasks large enough that each outweighs its scheduling (~1 ms): 10⁶–10⁷ raster cells per
window, 2¹⁶ units per LISA block (the default), millions of rows per detector chunk.

What is shipped: for LISA the standardised values and W's CSR arrays (~12 bytes per link:
~100 MB for 1M grid cells) once to each worker; for zonal statistics each block's geometries;
for the detector each chunk's y and stratum codes; results are small tables. On one 2-core
machine the cluster can only add this shipping and the scheduling (``make bench`` →
``bench_dask`` measures it); its use is more cores and memory than one machine has.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, Literal, TypeVar

import numpy as np
import pandas as pd

T = TypeVar("T")
Backend = Literal["serial", "dask"]
BACKENDS: tuple[str, ...] = ("serial", "dask")


def _dask():
    try:
        import dask
    except ImportError as err:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            "backend='dask' needs Dask: pip install \"spatialecon[dask]\" "
            "(or dask[distributed])") from err
    return dask


def tree_reduce(items: Iterable[T], merge: Callable[[T, T], T]) -> T:
    """Combine ``items`` with ``merge`` in a fixed binary tree, streaming.

    Items are merged like a binary counter: the 2nd into the 1st, the 4th into the 3rd and
    then the pair into the first pair, and so on; leftover subtrees are merged right to left
    at the end. At most log₂(n) partial results are held at once (so serial runs stream), and
    the tree depends only on the number of items, so lazy (Dask) items reduce in exactly the
    same order as eager ones.

    Raises
    ------
    ValueError
        For no items.
    """
    stack: list[tuple[int, T]] = []
    for item in items:
        level = 0
        while stack and stack[-1][0] == level:
            _, previous = stack.pop()
            item = merge(previous, item)
            level += 1
        stack.append((level, item))
    if not stack:
        raise ValueError("tree_reduce needs at least one item")
    _, out = stack.pop()
    while stack:
        _, previous = stack.pop()
        out = merge(previous, out)
    return out


def _compute(obj: Any, client: Any) -> Any:
    dask = _dask()
    if client is not None:
        return client.gather(client.compute(obj))
    return dask.compute(obj)[0]


def map_reduce(func: Callable[..., T], args: Sequence[tuple], merge: Callable[[T, T], T], *,
               backend: Backend = "serial", client: Any = None) -> T:
    """``tree_reduce(func(*a) for a in args)`` in-process, or as a Dask graph.

    Parameters
    ----------
    func
        Maps one argument tuple to a partial result (a window's tables).
    args
        One tuple per task; with Dask they are pickled to the workers.
    merge
        Combines two partial results; associative.
    backend
        ``"serial"`` or ``"dask"``.
    client
        A ``distributed.Client`` (Dask only); default: the current client or Dask's default
        scheduler.
    """
    _check_backend(backend)
    if backend == "serial":
        return tree_reduce((func(*a) for a in args), merge)
    dask = _dask()
    mapped = [dask.delayed(func, pure=True)(*a) for a in args]
    graph = tree_reduce(mapped, dask.delayed(merge, pure=True))
    return _compute(graph, client)


class ClusterError(RuntimeError):
    """A Dask run that could not finish: a task's worker died more often than the scheduler
    allows (``distributed.scheduler.allowed-failures``), or a task raised. No partial result
    is ever returned in its place."""


def map_blocks(func: Callable[..., T], blocks: Sequence[tuple], *,
               shared: dict[str, Any] | None = None, backend: Backend = "serial",
               client: Any = None, what: str = "block", scatter_blocks: bool = False
               ) -> list[T]:
    """``[func(*block, **shared) for block in blocks]`` in-process, or on a Dask cluster.

    The building block of every partitioned computation (LISA permutations by blocks of
    units, zonal statistics by blocks of polygons, detector moments by chunks of rows): each
    block is one task, and the results come back in block order, so the caller's assembly is
    the same on both backends.

    What is shipped: ``shared`` values (the data every task reads — the standardised values
    and the CSR arrays of W, a raster path) are scattered **once** to every worker
    (``client.scatter(..., broadcast=True)``), not pickled into each task; each task then
    carries only its block tuple (row bounds, or with ``scatter_blocks=True`` the block's own
    data — chunks of rows — scattered to one worker each, so no worker holds all of them).

    Failure: when a worker dies, the scheduler re-runs its tasks elsewhere (a nanny restarts
    the worker), and the result is complete and identical; when a task's workers die more
    than ``distributed.scheduler.allowed-failures`` times, or a task raises, the run fails
    with :class:`ClusterError` naming the block — never with fewer results than blocks.

    Parameters
    ----------
    func
        A module-level function (workers import it by name).
    blocks
        One argument tuple per task.
    shared
        Keyword arguments common to every task.
    backend
        ``"serial"`` or ``"dask"``.
    client
        A ``distributed.Client`` (``Client("tcp://scheduler:8786")`` or ``Client(cluster)``);
        default: the current client if one exists, else Dask's local threaded scheduler.
    what
        The name of a block in messages ("block of units", "chunk of rows").
    scatter_blocks
        Ship each block's tuple to the cluster ahead of its task (for blocks that hold data,
        not bounds: large arguments do not belong in the task graph).
    """
    _check_backend(backend)
    shared = dict(shared or {})
    if backend == "serial":
        return [func(*block, **shared) for block in blocks]
    dask = _dask()
    client = _current_client() if client is None else client
    if client is None:  # no cluster: Dask's threads, the same graph
        tasks = [dask.delayed(func, pure=True)(*block, **shared) for block in blocks]
        return list(dask.compute(*tasks))
    scattered = {k: client.scatter(v, broadcast=True, hash=False) for k, v in shared.items()}
    if scatter_blocks:
        placed = client.scatter([tuple(block) for block in blocks], hash=False)
        futures = [client.submit(_unpacked, func, block, **scattered, pure=False)
                   for block in placed]
    else:
        futures = [client.submit(func, *block, **scattered, pure=False) for block in blocks]
    try:
        results = client.gather(futures, errors="raise")
    except Exception as err:  # KilledWorker, CommClosedError, the task's own error
        failed = [i for i, f in enumerate(futures) if f.status in ("error", "lost")]
        where = (f"{what} {failed[0] + 1} of {len(blocks)}" if failed
                 else f"one of {len(blocks)} {what}s")
        for f in futures:
            f.cancel()
        kind = type(err).__name__
        why = {"KilledWorker": "the workers running it died repeatedly (out of memory? give "
                               "workers more memory or use smaller blocks)",
               "FutureCancelledError": "its shared input was lost: every worker holding it "
                                       "died before the task could run (workers lost "
                                       "mid-run; restart the cluster and run again)",
               }.get(kind, "the task raised")
        raise ClusterError(f"the Dask run failed at {where}: {why} — {kind}: {err}. No "
                           "partial result is returned") from err
    if len(results) != len(blocks):  # pragma: no cover - defensive: never return a part
        raise ClusterError(f"the cluster returned {len(results)} results for {len(blocks)} "
                           f"{what}s")
    return results


def _unpacked(func: Callable[..., T], block: tuple, **shared: Any) -> T:
    return func(*block, **shared)


def _current_client() -> Any:
    try:
        from distributed import default_client
    except ImportError:
        return None
    try:
        return default_client()
    except ValueError:  # no client has been created in this process
        return None


def _check_backend(backend: str) -> None:
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, not {backend!r}")


def task_seed(seed: int | None, *key: Hashable) -> int | None:
    """The seed of one task: a function of the base seed and the task's key only.

    Strings are hashed with CRC-32 (stable across processes, unlike ``hash``), integers used
    as they are; NumPy's ``SeedSequence`` mixes them into one 32-bit seed. ``None`` stays
    ``None`` (unseeded runs are not reproducible on any backend).
    """
    if seed is None:
        return None
    words = [int(seed)]
    for part in key:
        if isinstance(part, (int, np.integer)) and not isinstance(part, bool):
            words.append(int(part) & 0xFFFFFFFF)
        else:
            words.append(zlib.crc32(str(part).encode("utf-8")))
    return int(np.random.SeedSequence(words).generate_state(1)[0])


def _moran_task(statistic: str, frame: pd.DataFrame, variable: str, year: Any, w: Any,
                seed: int | None, options: dict) -> pd.DataFrame:
    from spatialecon import autocorrelation as ac

    if statistic == "global":
        out = ac.global_moran(frame, variable, w, seed=seed, **options)
        out = out.reset_index(drop=True)
        if "variable" not in out.columns:
            out.insert(0, "variable", variable)
    else:
        out = ac.local_moran(frame, variable, w, seed=seed, **options)
        out = out.reset_index()
        out.insert(1, "variable", variable)
    if year is not None:
        out.insert(out.columns.get_loc("variable") + 1, "year", year)
    out["seed"] = seed
    return out


def moran_panel(
    panel: pd.DataFrame,
    w: Any,
    *,
    statistic: Literal["global", "local"] = "global",
    variables: Sequence[str] | None = None,
    years: Sequence[Any] | None = None,
    permutations: int = 999,
    seed: int | None = 0,
    backend: Backend = "serial",
    client: Any = None,
    **options: Any,
) -> pd.DataFrame:
    """Global or local Moran's I with permutation inference for many variable-years.

    Each (variable, year) is one task running :func:`spatialecon.autocorrelation.global_moran`
    or :func:`~spatialecon.autocorrelation.local_moran` with the seed
    ``task_seed(seed, variable, year)``, so a task's result does not depend on the backend,
    on the other tasks, or on the order they run in.

    Parameters
    ----------
    panel
        Tidy panel (``adcode``, ``year``, ``variable``, ``value``); without a ``year`` column
        every variable is one task.
    w
        Weights keyed by adcode (shipped once to each worker with Dask).
    statistic
        ``"global"`` or ``"local"``.
    variables, years
        Subsets (default: all, sorted).
    permutations
        Permutations per task.
    seed
        Base seed.
    backend, client
        As in :func:`map_reduce`.
    **options
        Passed on (``alternative``, ``transform``, ``alpha``, ``adjust`` …).

    Returns
    -------
    pandas.DataFrame
        The tasks' tables stacked in (variable, year) order, with ``variable``, ``year`` and
        the task's ``seed``; one row per task (global) or per unit and task (local).
        ``attrs`` records statistic, permutations, base seed, backend and the seed rule.
    """
    _check_backend(backend)
    if statistic not in ("global", "local"):
        raise ValueError(f"statistic must be 'global' or 'local', not {statistic!r}")
    if not {"adcode", "variable", "value"} <= set(panel.columns):
        raise ValueError("moran_panel needs a tidy panel with adcode, variable, value "
                         f"(and year) columns; got {list(panel.columns)}")
    has_year = "year" in panel.columns
    variables = sorted(panel["variable"].unique()) if variables is None else list(variables)
    unknown = sorted(set(variables) - set(panel["variable"]))
    if unknown:
        raise ValueError(f"variables not in the panel: {unknown}")
    tasks = []
    for variable in variables:
        rows = panel[panel["variable"] == variable]
        task_years = ([None] if not has_year
                      else sorted(rows["year"].unique()) if years is None else list(years))
        for year in task_years:
            frame = rows if year is None else rows[rows["year"] == year]
            if frame.empty:
                raise ValueError(f"no rows for {variable!r} in {year}")
            key = (variable,) if year is None else (variable, year)
            tasks.append((statistic, frame, variable,
                          None if year is None else _plain(year), task_seed(seed, *key)))
    opts = {"permutations": permutations, **options}
    if backend == "serial":
        parts = [_moran_task(t[0], t[1], t[2], t[3], w, t[4], opts) for t in tasks]
    else:
        dask = _dask()
        w_shared = dask.delayed(w, pure=True)
        graph = [dask.delayed(_moran_task, pure=True)(t[0], t[1], t[2], t[3], w_shared, t[4],
                                                      opts) for t in tasks]
        parts = _compute(graph, client)
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    out.attrs = {"statistic": statistic, "permutations": permutations, "seed": seed,
                 "backend": backend, "tasks": len(tasks),
                 "seed_rule": "task_seed(seed, variable, year): SeedSequence of the base "
                              "seed, CRC-32 of the variable and the year",
                 **({"first_task": parts[0].attrs} if parts else {})}
    return out


def _plain(value: Any) -> Any:
    """numpy scalars to Python ones (stable seeds and clean tables)."""
    return value.item() if isinstance(value, np.generic) else value

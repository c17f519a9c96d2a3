"""Building ``W`` objects: the shared CSR engine (:class:`CSRW`, :func:`w_from_pairs`) and the
dictionary route (:func:`_make_w`) of the small, dense forms.

One CSR neighbour structure feeds contiguity, permutations, spatial lags and log-determinants:
``w.sparse`` of a :class:`CSRW` *is* that structure, built once from the adjacency pairs, in
``id_order``, and cached per transform. libpysal's ``W`` keeps its neighbours as dicts of lists
and derives ``sparse`` from them; at a million units those dicts take ~10 s and ~2 GB to
build, and nothing in esda or spreg reads them (both read ``w.sparse``), so here they are built
only when somebody asks for them.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Iterator, Mapping, Sequence

import numpy as np
from libpysal.weights import W
from scipy import sparse

from spatialecon.weights._common import WeightsError, _plain, _transform_code


def _make_w(neighbors: Mapping[Hashable, Sequence[Hashable]],
            weights: Mapping[Hashable, Sequence[float]] | None,
            ids: Sequence[Hashable], meta: dict, transform: str | None) -> W:
    """A libpysal W over ``ids`` (in that order) with our metadata attached, from dicts (the
    distance, economic and file forms, whose n is in the thousands). Ids keep their type: int
    codes, string codes (``read_csv(dtype=str)``, GeoJSON properties) or names."""
    ids = [_plain(i) for i in ids]
    neighbors = {_plain(k): v for k, v in neighbors.items()}
    neighbors = {i: [_plain(j) for j in neighbors.get(i, [])] for i in ids}
    if weights is not None:
        weights = {_plain(k): v for k, v in weights.items()}
        weights = {i: [float(v) for v in weights.get(i, [])] for i in ids}
    with warnings.catch_warnings():
        # libpysal warns about islands and disconnected components; we report them ourselves
        warnings.simplefilter("ignore")
        w = W(neighbors, weights, id_order=ids, silence_warnings=True)
    w.meta = dict(meta)
    if transform is not None:
        w.transform = _transform_code(transform)
    w.meta["transform"] = w.transform
    return w


def _transformed(original: sparse.csr_matrix, code: str, ids: Sequence[Hashable]
                 ) -> sparse.csr_matrix:
    """libpysal's transforms ("B", "R", "D", "V", "O") of the original weights, vectorised;
    the result shares ``indices``/``indptr`` with ``original`` (only the data differ)."""
    n = original.shape[0]
    d = original.data
    rows = np.repeat(np.arange(n), np.diff(original.indptr))
    if code == "O":
        return original
    if code == "B":
        data = np.ones_like(d)
    elif code == "R":
        sums = np.bincount(rows, weights=d, minlength=n)
        zero = np.flatnonzero((sums == 0) & (np.diff(original.indptr) > 0))
        if len(zero):
            from spatialecon._labels import format_units

            raise WeightsError(f"{len(zero)} unit(s) have neighbours whose weights sum to 0, so "
                               f"their rows cannot be standardised: "
                               f"{format_units([ids[i] for i in zero[:10]], 10)}",
                               [ids[i] for i in zero])
        data = d / sums[rows]
    elif code == "D":
        data = d / d.sum()
    elif code == "V":
        # libpysal: q_i = sqrt(sum_j w_ij^2), s_ij = w_ij / q_i, then scaled so the s sum to n
        q = np.sqrt(np.bincount(rows, weights=d * d, minlength=n))
        s = d / q[rows]
        data = s * (n / s.sum())
    else:  # pragma: no cover - codes come from _transform_code
        raise WeightsError(f"unsupported transform {code!r}")
    return sparse.csr_matrix((data, original.indices, original.indptr), shape=original.shape)


class _Transformations(Mapping):
    """``w.transformations`` of a :class:`CSRW`: transform code → weights dict, built on
    demand (libpysal keeps it as a dict of every transform applied so far)."""

    def __init__(self, w: CSRW) -> None:
        self._w = w

    def __getitem__(self, code: str) -> dict:
        return self._w._weights_dict(code.upper())

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._w._matrices))

    def __len__(self) -> int:
        return len(self._w._matrices)


class CSRW(W):
    """A libpysal :class:`~libpysal.weights.W` held as one CSR matrix.

    It *is* a ``W`` (``isinstance(w, W)``; esda, spreg, giddy and libpysal accept it) whose
    ``sparse`` is the matrix it was built from — never rebuilt from dicts — in ``id_order``,
    one matrix per transform (computed vectorised from the original the first time a transform
    is set, then cached; transforms share the index arrays). ``neighbors``, ``weights``,
    ``transformations``, ``cardinalities``, ``neighbor_offsets`` and ``id2i`` are built when
    first read, so a million-unit W costs the CSR arrays until somebody asks for a dict.

    The dicts are views computed from the matrix: editing them in place (``w.neighbors[i]
    .append(j)``) does not change ``w.sparse``; build a new W to change the links (as
    :func:`spatialecon.weights.transform` and :func:`higher_order` do).

    Parameters
    ----------
    matrix
        Square sparse matrix of the original (untransformed) weights, rows and columns in the
        order of ``ids``. Stored entries are links, explicit zeros included (libpysal keeps
        zero weights as neighbours too).
    ids
        Unit ids, one per row.
    meta
        How the weights were built (copied to ``w.meta``).
    transform
        Transform to set after construction (``None``: the original weights).
    """

    def __init__(self, matrix: sparse.spmatrix, ids: Sequence[Hashable], *,
                 meta: Mapping | None = None, transform: str | None = None) -> None:
        matrix = sparse.csr_matrix(matrix, dtype=float)
        if matrix.shape != (len(ids), len(ids)):
            raise WeightsError(f"a {matrix.shape[0]}×{matrix.shape[1]} matrix for "
                               f"{len(ids)} ids: one row and one column per unit")
        if not matrix.has_canonical_format:
            matrix.sum_duplicates()  # sorted column indices, no repeated entries
        self.silence_warnings = True
        self._id_order = list(ids)
        self._id_order_set = True
        self._matrices = {"O": matrix}
        self._transform = "O"
        self._neighbors: dict | None = None
        self._weights: dict[str, dict] = {}
        self._cache = {}
        self.meta = dict(meta or {})
        if transform is not None:
            self.set_transform(_transform_code(transform))

    # ------------------------------------------------------------------ the matrix

    @property
    def sparse(self) -> sparse.csr_matrix:
        """The weights of the current transform as CSR, rows and columns in ``id_order``."""
        return self._matrices[self._transform]

    def _build_sparse(self) -> sparse.csr_matrix:
        return self.sparse

    def set_transform(self, value: str = "B") -> None:
        """Set the transform (``"B"``, ``"R"``, ``"D"``, ``"V"``, ``"O"``, as libpysal), from
        the original weights, vectorised."""
        value = value.upper()
        if value not in ("B", "R", "D", "V", "O"):
            raise WeightsError(f"unsupported weights transformation {value!r}")
        if value not in self._matrices:
            self._matrices[value] = _transformed(self._matrices["O"], value, self._id_order)
        self._transform = value
        self._cache = {}

    transform = property(W.get_transform, set_transform)

    @property
    def transformations(self) -> Mapping[str, dict]:
        return _Transformations(self)

    # ------------------------------------------------------------------ ids

    def _get_id_order(self) -> list:
        return self._id_order

    def _set_id_order(self, ordered_ids: Sequence[Hashable]) -> None:
        """Reorder rows and columns of every cached matrix (libpysal's contract: the same ids,
        in a new order)."""
        ordered_ids = list(ordered_ids)
        position = self.id2i
        if len(ordered_ids) != len(position) or set(ordered_ids) != set(position):
            raise WeightsError("ordered_ids do not align with the ids of W: the same ids, "
                               "each once, in a new order")
        perm = np.fromiter((position[i] for i in ordered_ids), dtype=np.int64,
                           count=len(ordered_ids))
        original = self._matrices["O"][perm][:, perm]
        original.sort_indices()
        self._matrices = {"O": original}
        self._id_order = ordered_ids
        self._neighbors, self._weights, self._cache = None, {}, {}
        if self._transform != "O":
            self.set_transform(self._transform)

    id_order = property(_get_id_order, _set_id_order)

    def remap_ids(self, new_ids: Sequence[Hashable]) -> None:
        """Rename the ids in place (``new_ids[k]`` replaces ``id_order[k]``); the matrix is
        unchanged."""
        new_ids = list(new_ids)
        if len(new_ids) != len(self._id_order):
            raise WeightsError(f"remap_ids: {len(new_ids)} new ids for {self.n} units")
        if len(set(new_ids)) != len(new_ids):
            raise WeightsError("remap_ids: the new ids contain duplicates")
        self._id_order = new_ids
        self._neighbors, self._weights, self._cache = None, {}, {}

    @property
    def n(self) -> int:
        return len(self._id_order)

    # ------------------------------------------------------------------ dicts, on demand

    def _rows(self, values: np.ndarray) -> dict:
        indptr = self._matrices["O"].indptr
        flat = values.tolist()
        return {i: flat[indptr[k]:indptr[k + 1]] for k, i in enumerate(self._id_order)}

    @property
    def neighbors(self) -> dict:
        """id → list of neighbour ids (in ``id_order``), built on first use."""
        if self._neighbors is None:
            ids = np.empty(len(self._id_order), dtype=object)
            ids[:] = self._id_order
            self._neighbors = self._rows(ids[self._matrices["O"].indices])
        return self._neighbors

    def _weights_dict(self, code: str) -> dict:
        if code not in self._weights:
            if code not in self._matrices:
                self._matrices[code] = _transformed(self._matrices["O"], code, self._id_order)
            self._weights[code] = self._rows(self._matrices[code].data)
        return self._weights[code]

    @property
    def weights(self) -> dict:
        """id → list of weights of the current transform, aligned with ``neighbors``."""
        return self._weights_dict(self._transform)

    @property
    def neighbor_offsets(self) -> dict:
        if "neighbors_0" not in self._cache:
            self._cache["neighbors_0"] = self._rows(self._matrices["O"].indices)
        return self._cache["neighbors_0"]

    @property
    def cardinalities(self) -> dict:
        if "cardinalities" not in self._cache:
            counts = np.diff(self._matrices["O"].indptr).tolist()
            self._cache["cardinalities"] = dict(zip(self._id_order, counts, strict=True))
        return self._cache["cardinalities"]

    @property
    def islands(self) -> list:
        """Ids without neighbours, from the row lengths of the matrix."""
        if "islands" not in self._cache:
            empty = np.flatnonzero(np.diff(self._matrices["O"].indptr) == 0)
            self._cache["islands"] = [self._id_order[k] for k in empty]
        return self._cache["islands"]

    def full(self) -> tuple[np.ndarray, list]:
        """Dense array and its ids (libpysal's ``full``, without building the dicts)."""
        return self.sparse.toarray(), list(self._id_order)

    def symmetrize(self, inplace: bool = False) -> W:
        if inplace:
            raise WeightsError("a CSRW cannot be symmetrised in place: use w.symmetrize() for "
                               "a new W")
        return super().symmetrize(inplace=False)

    def copy(self) -> CSRW:
        """A new CSRW over the same original matrix, ids, meta and transform."""
        return CSRW(self._matrices["O"].copy(), self._id_order, meta=dict(self.meta),
                    transform=self._transform)


def symmetric_binary(i: np.ndarray, j: np.ndarray, n: int) -> sparse.csr_matrix:
    """Binary symmetric CSR with a link for every pair ``(i[k], j[k])`` both ways (repeats and
    either direction allowed), in canonical form."""
    rows = np.concatenate([i, j])
    cols = np.concatenate([j, i])
    m = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    m.data[:] = 1.0  # scipy summed the repeats
    return m


def w_from_pairs(i: np.ndarray, j: np.ndarray, ids: Sequence[Hashable], meta: Mapping,
                 transform: str | None = None) -> CSRW:
    """Binary, symmetric :class:`CSRW` over ``ids`` from index pairs (positions in ``ids``)."""
    return CSRW(symmetric_binary(i, j, len(ids)), ids, meta=meta, transform=transform)

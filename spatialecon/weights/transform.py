"""Operations on weights: a transformed copy, and higher-order contiguity."""

from __future__ import annotations

from libpysal.weights import W
from scipy import sparse

from spatialecon.weights._build import CSRW, _make_w
from spatialecon.weights._common import WeightsError, _transform_code


def transform(w: W, how: str) -> W:
    """A copy of ``w`` transformed: ``"row"`` (each row sums to 1), ``"binary"``, ``"global"``
    (libpysal's double standardisation ``"D"``: all weights together sum to 1, spdep's style
    ``"U"``) or ``"variance"`` (variance-stabilising, Tiefelsdorf, Griffith & Boots 1999, as
    libpysal's ``"V"``), or ``"original"``. Unlike ``w.transform = …`` it leaves ``w``
    untouched.

    A :class:`~spatialecon.weights.CSRW` (what :func:`contiguity` returns) gives a CSRW: the
    transform is computed on the CSR arrays, without building neighbour dicts.
    """
    meta = getattr(w, "meta", {})
    if isinstance(w, CSRW):
        original = w._matrices["O"]
        # the index arrays are shared (never written); the weights get their own copy
        matrix = sparse.csr_matrix((original.data.copy(), original.indices, original.indptr),
                                   shape=original.shape)
        out = CSRW(matrix, w.id_order, meta=meta, transform=_transform_code(how))
        out.meta["transform"] = out.transform
        return out
    return _make_w(w.neighbors, _original_weights(w), w.id_order, meta, how)


def _original_weights(w: W) -> dict:
    """The untransformed weights as a dict (libpysal keeps them; a fresh W starts from them)."""
    if isinstance(w, CSRW):
        return w.transformations["O"]
    original = w.transform
    try:
        w.transform = "O"
        return {k: list(v) for k, v in w.weights.items()}
    finally:
        w.transform = original


def higher_order(w: W, k: int = 2, *, cumulative: bool = False) -> CSRW:
    """Order-k contiguity: units whose shortest path in ``w`` is exactly k steps
    (``cumulative=True``: 1 to k steps), binary.

    libpysal's ``higher_order`` defines the same neighbours (walks of length k minus pairs
    reachable in fewer steps, no self-links) through Python sets of index pairs; here they are
    0/1 sparse products, so a million-unit grid takes seconds. The links of ``w`` count,
    whatever their weights.
    """
    if k < 1:
        raise WeightsError("k must be at least 1")
    a = _links(w.sparse)
    walk, within, fewer = a, a, None  # exactly j steps; within j steps; within j - 1 steps
    for _ in range(1, k):
        walk = _links(walk @ a)
        fewer, within = within, _links(within + walk)
    # cumulative: within k steps; else a k-walk and not within k - 1 steps
    out = within if cumulative or fewer is None else walk - walk.multiply(fewer)
    out = sparse.csr_matrix(out - sparse.diags(out.diagonal()), dtype=float)  # no self-links
    out.eliminate_zeros()
    meta = {**getattr(w, "meta", {}), "order": k, "cumulative": cumulative}
    result = CSRW(out, w.id_order, meta=meta)
    result.meta["transform"] = result.transform
    return result


def _links(m: sparse.spmatrix) -> sparse.csr_matrix:
    """0/1 float CSR of the stored entries of ``m`` (explicit zero weights are links too)."""
    m = sparse.csr_matrix(m, dtype=float, copy=True)
    m.data[:] = 1.0
    return m

"""What GeoDa's weights manager shows: units, links, neighbour counts, islands, components."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from libpysal.weights import W


@dataclass(frozen=True)
class WeightsSummary:
    """Counts that GeoDa's weights manager shows, for a quick check of a weights object."""

    units: int
    links: int
    mean_neighbors: float
    min_neighbors: int
    max_neighbors: int
    islands: tuple[Hashable, ...]
    components: int
    symmetric: bool
    cardinalities: pd.Series

    def __str__(self) -> str:
        return (f"{self.units} units, {self.links} links, neighbours mean "
                f"{self.mean_neighbors:.2f} (min {self.min_neighbors}, max {self.max_neighbors}), "
                f"{len(self.islands)} island(s), {self.components} component(s), "
                f"{'symmetric' if self.symmetric else 'asymmetric'}")


def summary(w: W) -> WeightsSummary:
    """Units, links, neighbour counts, islands, connected components and symmetry of ``w``."""
    sparse = w.sparse
    # row lengths of the CSR, not w.cardinalities: no per-unit dict at a million units
    card = pd.Series(np.diff(sparse.indptr), index=pd.Index(w.id_order, name="adcode"),
                     name="neighbors")
    return WeightsSummary(
        units=w.n,
        links=int(w.nonzero),
        mean_neighbors=float(card.mean()),
        min_neighbors=int(card.min()),
        max_neighbors=int(card.max()),
        islands=tuple(w.id_order[k] for k in np.flatnonzero(card.to_numpy() == 0)),
        components=int(w.n_components),
        symmetric=bool((abs(sparse - sparse.T) > 1e-12).nnz == 0),
        cardinalities=card,
    )

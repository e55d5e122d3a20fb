"""How much each kind of calibration label weighs (``match_calibration`` fits the map):
the share of a stratum's records whose person is not in the registry, estimated as the
mixture of the two labelled distributions that fits the records (:func:`outside_share`),
and, for the records without an ID number, weights of the "not in the registry" labels
that give them the outsiders' mix of missing fields (:func:`outsider_weights`)."""

from __future__ import annotations

import numpy as np

# Which fields a record lacks (birth date whole / month / year / none; middle name, commune,
# sex missing): the cell the "not in the registry" labels are reweighed by (see
# :func:`outsider_weights`).
CELL_SQL = """(case when {t}birth_date is not null then 'd' when {t}birth_ym is not null then 'm'
  when {t}birth_year is not null then 'y' else 'n' end) || ({t}middle is null)::int
  || ({t}commune_code is null)::int || ({t}sex is null)::int"""

# The "not in the registry" labels are reweighed by their cell in this stratum only (see
# :func:`outsider_weights`); no weight above this.
REWEIGHED = ("without_id",)
MAX_CELL_WEIGHT = 10.0


def outsider_weights(
    label_cells: np.ndarray, real_cells: np.ndarray, outside: float, min_labels: int = 500
) -> np.ndarray | None:
    """Weights (mean 1) of the "not in the registry" labels that give them the mix of
    missing fields of the stratum's records that are not in the registry, estimated from
    the records without any truth: the records' mix is (1 - outside) x the labels' (the
    records in the registry reach Splink for the same reasons as the labels: the exact
    stage could not settle them) + outside x the outsiders', so the outsiders' mix is
    (records' - (1 - outside) x labels') / outside, clipped at 0.

    The labels are ID-linked records the exact stage would not settle — records with an
    error — with their own citizen taken out, while people who are not in the registry
    reach Splink with or without errors. A missing field lets more citizens resemble a
    record, so the labels put more weight at raw 0.7-0.9 than the real outsiders, and the
    map was under-confident there (docs/performance.md, "The lowest band's
    under-confidence"). Errors that are not missing fields cannot be reweighed so (a
    record that is not in the registry shows no error). None when there is nothing to
    estimate (no outsiders, too few labels)."""
    if outside < 0.01 or len(label_cells) < min_labels or not len(real_cells):
        return None
    cells, inverse = np.unique(np.concatenate([label_cells, real_cells]), return_inverse=True)
    n_l = len(label_cells)
    mix_l = np.bincount(inverse[:n_l], minlength=len(cells)) / n_l
    mix_r = np.bincount(inverse[n_l:], minlength=len(cells)) / len(real_cells)
    mix_o = np.clip((mix_r - (1 - outside) * mix_l) / outside, 0, None)
    mix_o = np.where(mix_l > 0, mix_o, 0)  # a cell no label shows cannot be weighed
    if mix_o.sum() <= 0:
        return None
    ratio = np.divide(mix_o / mix_o.sum(), mix_l, out=np.zeros(len(cells)), where=mix_l > 0)
    w = np.minimum(ratio[inverse[:n_l]], MAX_CELL_WEIGHT)
    return w / w.mean()


# Bins of the raw probability for the mixture estimate (the first holds "no candidate").
MIX_EDGES = np.array([0, 1e-6, 1e-3, 0.01, 0.05, 0.2, 0.5, 0.7, 0.9, 0.99, 0.999, 1 + 1e-9])


def outside_share(real: np.ndarray, inside: np.ndarray, outside: np.ndarray) -> float:
    """The share of ``real`` records whose person is not in the registry: the weight of
    the mixture of the two labelled distributions (binned) that fits ``real`` best, by
    expectation maximisation."""

    def density(x: np.ndarray) -> np.ndarray:
        counts = np.histogram(x, MIX_EDGES)[0] + 0.5
        return counts / counts.sum()

    f_in, f_out = density(inside), density(outside)
    bins = np.clip(np.searchsorted(MIX_EDGES, real, side="right") - 1, 0, len(f_in) - 1)
    w = 0.5
    for _ in range(200):
        r = w * f_out[bins] / (w * f_out[bins] + (1 - w) * f_in[bins])
        new = float(r.mean())
        if abs(new - w) < 1e-7:
            break
        w = new
    return w

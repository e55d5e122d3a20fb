"""Vectorised synthetic data for the linkage benchmark and tests: a registry frame and a
sector frame with realistic errors and known truth (``true_pid``), without a database.

Names are drawn with the demo generator's real-frequency tables (dancu.demo.names); the
registry rows have the columns ``dancu.linkage.match.link`` expects. Sector errors, each
drawn independently with the rates in :data:`ERRORS`: missing / invalid / wrong / old
9-digit ID numbers, a typo in the family or given name, the given-family name order, a
missing middle name, day and month swapped, a one-digit date typo, year-only and
month/year dates, an old or another commune, missing sex, people who are not in the
registry, duplicated records, and dead citizens (3% of the registry).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dancu.common import adminunits
from dancu.common.textfold import fold
from dancu.demo.names import _FAMILY, _GIVEN, _MIDDLE, Weighted

ERRORS = {
    "id_missing": 0.15,
    "id_invalid": 0.08,
    "id_wrong": 0.04,
    "id_cmnd9": 0.05,
    "name_typo": 0.08,
    "name_swapped_order": 0.02,
    "middle_missing": 0.03,
    "date_swapped": 0.05,
    "date_typo": 0.04,
    "date_year_only": 0.03,
    "date_month_year": 0.02,
    "commune_other": 0.25,
    "commune_missing": 0.08,
    "sex_missing": 0.05,
    "not_in_registry": 0.08,
    "duplicate": 0.02,
}
PROVINCE = "66"
_DAY0 = np.datetime64("1930-01-01")
_DAYS = int((np.datetime64("2024-12-31") - _DAY0).astype(int))


def _draw(rng: np.random.Generator, table: Weighted, n: int) -> np.ndarray:
    weights = np.diff(np.array((0.0, *table.cum)))
    return rng.choice(np.array(table.items, dtype=object), size=n, p=weights / weights.sum())


def _people(rng: np.random.Generator, n: int) -> pd.DataFrame:
    sex = np.where(rng.random(n) < 0.5, "M", "F")
    days = rng.integers(0, _DAYS, n)
    birth = (_DAY0 + days.astype("timedelta64[D]")).astype(str)
    young = birth >= "1985"
    family = _draw(rng, _FAMILY, n)
    middle = np.empty(n, dtype=object)
    given = np.empty(n, dtype=object)
    for s in ("M", "F"):
        for y in (False, True):
            mask = (sex == s) & (young == y)
            middle[mask] = _draw(rng, _MIDDLE[(s, y)], int(mask.sum()))
        mask = sex == s
        given[mask] = _draw(rng, _GIVEN[s], int(mask.sum()))
    full = family + " " + middle + " " + given
    communes = np.array([c.code for c in adminunits.communes(PROVINCE)], dtype=object)
    return pd.DataFrame(
        {
            "full_name": full,
            "birth_date": birth,
            "birth_year": pd.array(birth.astype("U4").astype(int), dtype="Int64"),
            "sex": sex,
            "commune_code": rng.choice(communes, n),
        }
    )


def _fold_parts(df: pd.DataFrame, name_col: str) -> pd.DataFrame:
    folded = df[name_col].map(fold)
    words = folded.str.split(" ")
    df["name_folded"] = folded
    df["family"] = words.str[0]
    df["given"] = words.str[-1]
    df["middle"] = words.str[1:-1].str.join(" ").replace("", None)
    return df


def _pids(n: int, birth_year: np.ndarray, sex: np.ndarray, start: int = 0) -> np.ndarray:
    idx = np.arange(start, start + n)
    province = np.array([f"{p:03d}" for p in (1, 66, 79, 48, 31, 92, 2, 4)])[idx // 1_000_000]
    digit = (birth_year // 100 - 19) * 2 + (sex == "F")
    serial = idx % 1_000_000
    out = np.char.add(province.astype("U3"), digit.astype("U1"))
    out = np.char.add(out, np.char.zfill((birth_year % 100).astype("U2"), 2))
    return np.char.add(out, np.char.zfill(serial.astype("U6"), 6)).astype(object)


def registry(citizens: int, seed: int = 6) -> pd.DataFrame:
    """``citizens`` registry rows (3% deceased) with the columns the matcher expects."""
    rng = np.random.default_rng(seed)
    df = _fold_parts(_people(rng, citizens), "full_name")
    df.insert(0, "pid", _pids(citizens, df["birth_year"].to_numpy(int), df["sex"].to_numpy()))
    dead = rng.random(citizens) < 0.03
    df["status"] = np.where(dead, "deceased", "active")
    df["death_date"] = np.where(dead, "2024-06-01", None)
    return df


@dataclass
class Sector:
    records: pd.DataFrame  # the matcher's sector columns plus true_pid and errors
    truth: pd.Series  # record_key -> pid (None: not in the registry)


def _typo(rng: np.random.Generator, words: pd.Series) -> pd.Series:
    def one(w: str, r: float) -> str:
        if len(w) < 3:
            return w + "h"
        i = 1 + int(r * (len(w) - 1))
        return w[:i] + w[i + 1 :] if r < 0.5 else w[:i] + w[i - 1] + w[i:]

    return pd.Series(
        [one(w, r) for w, r in zip(words, rng.random(len(words)), strict=True)], index=words.index
    )


def sector(reg: pd.DataFrame, records: int, seed: int = 7) -> Sector:
    """``records`` sector rows drawn from ``reg`` (and outsiders) with :data:`ERRORS`."""
    rng = np.random.default_rng(seed)
    n_dup = int(records * ERRORS["duplicate"])
    base_n = records - n_dup
    outsiders = rng.random(base_n) < ERRORS["not_in_registry"]
    picks = rng.choice(len(reg), size=base_n, replace=False)
    df = reg.iloc[picks][["pid", "full_name", "birth_date", "sex", "commune_code"]].copy()
    df = df.reset_index(drop=True)
    n_out = int(outsiders.sum())
    if n_out:
        fresh = _people(rng, n_out)
        fresh_pid = _pids(
            n_out, fresh["birth_year"].to_numpy(int), fresh["sex"].to_numpy(), start=7_000_000
        )
        cols = ["full_name", "birth_date", "sex", "commune_code"]
        df.loc[outsiders, cols] = fresh[cols].to_numpy()
        df.loc[outsiders, "pid"] = fresh_pid
    df["true_pid"] = np.where(outsiders, None, df["pid"])
    dups = df.iloc[rng.choice(base_n, size=n_dup, replace=False)]
    df = pd.concat([df, dups], ignore_index=True)
    n = len(df)
    df.insert(0, "record_key", [f"S{i:07d}" for i in range(n)])
    err = {k: rng.random(n) < p for k, p in ERRORS.items()}
    errors = pd.Series([""] * n)

    def note(mask: np.ndarray, what: str) -> None:
        errors.loc[mask] = errors[mask] + what + " "

    # ID numbers.
    pid = df["pid"].astype(object).copy()
    pid[err["id_missing"]] = None
    bad = err["id_invalid"] & ~err["id_missing"]
    pid[bad] = [p[:5] + "x" + p[6:] if p else None for p in pid[bad]]
    wrong = err["id_wrong"] & ~err["id_missing"] & ~bad
    pid[wrong] = [p[:-1] + str((int(p[-1]) + 3) % 10) if p else None for p in pid[wrong]]
    cm = err["id_cmnd9"] & ~err["id_missing"] & ~bad & ~wrong
    pid[cm] = None  # an old 9-digit CMND cannot be matched on the number
    df["pid"] = pid.where(~(bad | err["id_missing"] | cm), None)
    for k in ("id_missing", "id_wrong", "id_cmnd9"):
        note(err[k], k)
    note(bad, "id_invalid")
    # Names.
    df = _fold_parts(df, "full_name")
    df["name"] = df["full_name"]
    t = err["name_typo"]
    on_given = rng.random(n) < 0.5
    df.loc[t & on_given, "given"] = _typo(rng, df.loc[t & on_given, "given"])
    df.loc[t & ~on_given, "family"] = _typo(rng, df.loc[t & ~on_given, "family"])
    note(t, "name_typo")
    mm = err["middle_missing"]
    df.loc[mm, "middle"] = None
    note(mm, "middle_missing")
    sw = err["name_swapped_order"] & ~t & ~mm
    # Written given-first: the sector splits it family-first, so the parts are wrong too.
    g, f, m = df.loc[sw, "given"], df.loc[sw, "family"], df.loc[sw, "middle"]
    df.loc[sw, "family"], df.loc[sw, "middle"], df.loc[sw, "given"] = g, f, m
    note(sw, "name_swapped_order")
    df["name_folded"] = (
        (df["family"].fillna("") + " " + df["middle"].fillna("") + " " + df["given"].fillna(""))
        .str.split()
        .str.join(" ")
    )
    # Dates.
    bd = df["birth_date"].astype(str)
    day, month = bd.str.slice(8, 10), bd.str.slice(5, 7)
    sw = err["date_swapped"] & (day.astype(int) <= 12).to_numpy() & (day != month).to_numpy()
    bd[sw] = bd[sw].str.slice(0, 5) + day[sw] + "-" + month[sw]
    note(sw, "date_swapped")
    ty = err["date_typo"] & ~sw
    bd[ty] = [
        b[:-1] + str((int(b[-1]) + 1) % 10) if b[-2:] not in ("28", "29", "30") else b[:-1] + "1"
        for b in bd[ty]
    ]
    note(ty, "date_typo")
    yo = err["date_year_only"] & ~sw & ~ty
    bd[yo] = bd[yo].str.slice(0, 4)
    note(yo, "date_year_only")
    my = err["date_month_year"] & ~sw & ~ty & ~yo
    bd[my] = bd[my].str.slice(0, 7)
    note(my, "date_month_year")
    df["birth_date"] = bd
    df["birth_year"] = pd.array(bd.str.slice(0, 4).astype(int), dtype="Int64")
    # Place and sex.
    communes = np.array([c.code for c in adminunits.communes(PROVINCE)], dtype=object)
    oc = err["commune_other"]
    df.loc[oc, "commune_code"] = rng.choice(communes, int(oc.sum()))
    df.loc[err["commune_missing"], "commune_code"] = None
    df.loc[err["sex_missing"], "sex"] = None
    note(oc, "commune_other")
    df["phone"] = None
    df["errors"] = errors.str.strip()
    truth = pd.Series(df["true_pid"].to_numpy(), index=df["record_key"])
    return Sector(df, truth)


def score(outcomes: pd.DataFrame, truth: pd.Series, *, include_review: bool) -> dict[str, float]:
    """Precision and recall of the links (record -> citizen) against ``truth``."""
    linked = outcomes["outcome"].isin(["synced", "synced_with_differences", "duplicate_in_source"])
    if include_review:  # links at match probability >= 0.5, review band included
        linked |= (outcomes["outcome"] == "probable_match") & (outcomes["probability"] >= 0.5)
    got = outcomes.loc[linked & outcomes["citizen_pid"].notna(), ["record_key", "citizen_pid"]]
    expected = truth.reindex(got["record_key"]).to_numpy()
    tp = int((got["citizen_pid"].to_numpy() == expected).sum())
    positives = int(truth.notna().sum())
    precision = tp / len(got) if len(got) else 1.0
    recall = tp / positives if positives else 1.0
    return {"precision": precision, "recall": recall, "links": len(got), "true_links": positives}

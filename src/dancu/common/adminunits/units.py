"""Vietnamese administrative units: the 2025 two-tier system and the pre-2025 three-tier one.

Data comes from the files shipped with the ``vietnamadminunits`` package (``dataset.db`` and
``converter_2025.json``), read once with plain ``sqlite3``/``json`` and cached. Nothing here
touches the network. This module looks units up by code and converts a pre-2025 ward to the
current commune(s); reading units out of an address's text is in ``addresses``.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from functools import cache
from operator import attrgetter
from pathlib import Path
from typing import Any

from dancu.common.textfold import fold

_PACKAGE = "vietnamadminunits"


@dataclass(frozen=True, slots=True)
class Province:
    code: str
    name: str
    short_name: str


@dataclass(frozen=True, slots=True)
class Commune:
    code: str
    name: str
    short_name: str
    kind: str
    province_code: str


@dataclass(frozen=True, slots=True)
class LegacyWard:
    code: str
    name: str
    district_code: str
    district_name: str
    province_code: str
    province_name: str


@dataclass(frozen=True, slots=True)
class Conversion:
    commune: Commune | None
    candidates: tuple[Commune, ...]
    certain: bool
    province: Province | None
    note: str


class UnknownUnitError(ValueError):
    """A code that names no administrative unit; ``field`` says which input was wrong."""

    def __init__(self, field: str, value: object) -> None:
        super().__init__(f"unknown {field}: {value!r}")
        self.field = field
        self.value = value


@dataclass(frozen=True, slots=True)
class _Data:
    provinces: dict[str, Province]
    communes: dict[str, Commune]
    by_province: dict[str, tuple[Commune, ...]]
    legacy_provinces: dict[str, Province]
    legacy_wards: dict[str, LegacyWard]
    legacy_district_count: int
    legacy_district_names: dict[str, tuple[str, ...]]  # old province code -> folded short names
    by_ward: dict[str, Conversion]  # legacy ward code -> conversion
    by_district: dict[str, Conversion]  # island districts that had no wards
    new_province_of_old_key: dict[str, Province]


def _data_dir() -> Path:
    # find_spec does not execute the package (whose __init__ loads geopy and ~4 MB of JSON).
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"package {_PACKAGE!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _rows(sql: str) -> list[sqlite3.Row]:
    uri = (_data_dir() / "dataset.db").as_uri() + "?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute(sql).fetchall()


@cache
def _data() -> _Data:
    provinces: dict[str, Province] = {}
    communes: dict[str, Commune] = {}
    new_key: dict[tuple[str, str], Commune] = {}
    new_prov_key: dict[str, Province] = {}
    for r in _rows(
        "SELECT provinceCode, province, provinceShort, provinceKey, wardCode, ward, wardShort,"
        " wardType, wardKey FROM admin_units ORDER BY wardCode"
    ):
        prov = provinces.setdefault(
            r["provinceCode"], Province(r["provinceCode"], r["province"], r["provinceShort"])
        )
        new_prov_key[r["provinceKey"]] = prov
        c = Commune(r["wardCode"], r["ward"], r["wardShort"], r["wardType"], r["provinceCode"])
        communes[c.code] = c
        new_key[(r["provinceKey"], r["wardKey"])] = c
    by_province: dict[str, list[Commune]] = {code: [] for code in provinces}
    for c in communes.values():
        by_province[c.province_code].append(c)

    legacy_provinces: dict[str, Province] = {}
    legacy_wards: dict[str, LegacyWard] = {}
    districts: set[str] = set()
    district_names: dict[str, set[str]] = {}
    old_key: dict[str, tuple[str, str]] = {}  # "prov_district_ward" -> (kind, code)
    for r in _rows(
        "SELECT provinceCode, province, provinceShort, provinceKey, districtCode, district,"
        " districtShort, districtKey, wardCode, ward, wardKey FROM admin_units_legacy"
        " ORDER BY districtCode, wardCode"
    ):
        legacy_provinces.setdefault(
            r["provinceCode"], Province(r["provinceCode"], r["province"], r["provinceShort"])
        )
        districts.add(r["districtCode"])
        short = re.sub(r"\s*\(.*?\)", "", r["districtShort"])  # "Cao Lãnh (Thành phố)"
        district_names.setdefault(r["provinceCode"], set()).add(fold(short))
        key = f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey'] or ''}"
        if r["wardCode"] is None:  # island district with no wards (Côn Đảo, Lý Sơn, ...)
            old_key[key] = ("district", r["districtCode"])
            continue
        old_key[key] = ("ward", r["wardCode"])
        legacy_wards[r["wardCode"]] = LegacyWard(
            r["wardCode"],
            r["ward"],
            r["districtCode"],
            r["district"],
            r["provinceCode"],
            r["province"],
        )

    conv = json.loads((_data_dir() / "converter_2025.json").read_text(encoding="utf-8"))
    by_ward: dict[str, Conversion] = {}
    by_district: dict[str, Conversion] = {}

    def put(key: str, conversion: Conversion) -> None:
        kind, code = old_key[key]
        (by_ward if kind == "ward" else by_district)[code] = conversion

    for prov_key, wards in conv["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for ward_key, old_keys in wards.items():
            c = new_key[(prov_key, ward_key)]
            for key in old_keys:
                note = f"maps to {c.name}" + (" (island district)" if key.endswith("_") else "")
                put(key, Conversion(c, (c,), True, provinces[c.province_code], note))
    for prov_key, splits in conv["DICT_PROVINCE_WARD_DIVIDED"].items():
        for key, parts in splits.items():
            cands = tuple(
                sorted(
                    (new_key[(prov_key, p["newWardKey"])] for p in parts), key=attrgetter("code")
                )
            )
            default = next(
                new_key[(prov_key, p["newWardKey"])] for p in parts if p["isDefaultNewWard"]
            )
            note = (
                f"old ward split into {len(cands)} communes; guessed {default.name} "
                "(package default), street needed to decide offline"
            )
            put(key, Conversion(default, cands, False, new_prov_key[prov_key], note))

    old_prov = {
        old: new_prov_key[new] for new, olds in conv["DICT_PROVINCE"].items() for old in olds
    }
    return _Data(
        provinces=provinces,
        communes=communes,
        by_province={k: tuple(v) for k, v in by_province.items()},
        legacy_provinces=dict(sorted(legacy_provinces.items())),
        legacy_wards=legacy_wards,
        legacy_district_count=len(districts),
        legacy_district_names={p: tuple(sorted(n)) for p, n in district_names.items()},
        by_ward=by_ward,
        by_district=by_district,
        new_province_of_old_key=old_prov,
    )


def _get(table: dict[str, Any], field: str, code: str) -> Any:
    key = code.strip() if isinstance(code, str) else code
    try:
        return table[key]
    except (KeyError, TypeError):
        raise UnknownUnitError(field, code) from None


def provinces() -> list[Province]:
    """The 34 current provinces, sorted by code."""
    return sorted(_data().provinces.values(), key=lambda p: p.code)


def province(code: str) -> Province:
    """Current province by 2-digit code."""
    return _get(_data().provinces, "province_code", code)


def communes(province_code: str | None = None) -> list[Commune]:
    """Current communes/wards sorted by code; all 3,321 when ``province_code`` is None."""
    data = _data()
    if province_code is None:
        return list(data.communes.values())
    return list(_get(data.by_province, "province_code", province_code))


def preload() -> None:
    """Read both generations of units now (a server calls this at start-up)."""
    _data()


def commune(code: str) -> Commune:
    """Current commune by 5-digit code."""
    return _get(_data().communes, "commune_code", code)


def find_commune(code: str) -> Commune | None:
    """Like :func:`commune` but returns None for an unknown code."""
    try:
        return commune(code)
    except UnknownUnitError:
        return None


def legacy_provinces() -> list[Province]:
    """The 63 pre-2025 provinces, sorted by code."""
    return list(_data().legacy_provinces.values())


def legacy_district_count() -> int:
    return _data().legacy_district_count


def legacy_ward_count() -> int:
    return len(_data().legacy_wards)


def legacy_ward(code: str) -> LegacyWard:
    """Pre-2025 ward by 5-digit code."""
    return _get(_data().legacy_wards, "legacy_ward_code", code)


def legacy_wards_merged_into(province_code: str) -> dict[str, tuple[LegacyWard, ...]]:
    """Current commune code -> the pre-2025 wards merged whole into it, for one current
    province (wards that were split between communes are left out: their commune is only
    a guess). Communes formed from no whole old ward are absent."""
    _get(_data().provinces, "province_code", province_code)
    return _merged_wards().get(province_code.strip(), {})


@cache
def _merged_wards() -> dict[str, dict[str, tuple[LegacyWard, ...]]]:
    data = _data()
    out: dict[str, dict[str, list[LegacyWard]]] = {}
    for code, ward in data.legacy_wards.items():
        conv = data.by_ward.get(code)
        if conv is not None and conv.certain and conv.commune is not None:
            by_commune = out.setdefault(conv.commune.province_code, {})
            by_commune.setdefault(conv.commune.code, []).append(ward)
    return {p: {c: tuple(ws) for c, ws in cs.items()} for p, cs in out.items()}


def convert_legacy_ward(ward_code: str) -> Conversion:
    """Map a pre-2025 ward code to the current commune(s)."""
    return _get(_data().by_ward, "legacy_ward_code", ward_code)


def format_address(detail: str | None, commune_code: str) -> str:
    """Current-style address line: "detail, commune, province"."""
    c = commune(commune_code)
    parts = [(detail or "").strip().strip(",").strip(), c.name, province(c.province_code).name]
    return ", ".join(p for p in parts if p)

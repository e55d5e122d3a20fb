"""Vietnamese administrative units: the 2025 two-tier system and the pre-2025 three-tier one.

Data comes from the files shipped with the ``vietnamadminunits`` package (``dataset.db`` and
``converter_2025.json``), read once with plain ``sqlite3``/``json`` and cached. Nothing here
touches the network: the package's own ``convert_address`` geocodes the street of a split ward
online, so we never call it; a split ward is reported as an uncertain guess instead.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sqlite3
from collections.abc import Callable, Iterable
from contextlib import closing
from dataclasses import dataclass
from functools import cache
from itertools import accumulate
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


@dataclass(frozen=True, slots=True)
class LegacyReading:
    """How the pre-2025 parser read an address, and how sure we are that it is one.

    ``complete``: a ward (or an island district that had no wards) was converted *and* a
    district of the province stands where the old structure puts it: written with its
    type, or as a comma-separated part of its own after the first ("Phường Phú Cường, Thủ
    Dầu Một, Bình Dương"); a district's name inside a current commune's name ("Xã Nguyên
    Bình") or a ward's name found in the street does not count. ``district_named``: the text
    names a district-level unit of that province *with its type* ("Thành phố Buôn Ma
    Thuột", "TP. Vũng Tàu", "Tx Buôn Hồ", "Q.1", "Huyện Củ Chi") followed by more text
    (the province): a level the 2025 system abolished, so the address is pre-2025.
    """

    conversion: Conversion
    complete: bool
    district_named: bool


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


@cache
def _legacy_parser() -> Callable[..., Any]:
    # Pure string matching (regex over bundled JSON keywords); it never calls the geocoder in
    # vietnamadminunits.parser.utils. Imported lazily because the import costs ~0.4 s.
    from vietnamadminunits.parser.parser_legacy import parse_address_legacy

    return parse_address_legacy


def convert_legacy_address(address: str) -> Conversion:
    """Parse an old-style (63-province) address offline and convert it to the current commune."""
    return read_legacy_address(address).conversion


def read_legacy_address(address: str) -> LegacyReading:
    """Parse an address with the pre-2025 units: its conversion, and the evidence that the
    text really is pre-2025 (see :class:`LegacyReading`)."""
    if not isinstance(address, str) or not any(ch.isalnum() for ch in address):
        return LegacyReading(Conversion(None, (), False, None, "empty address"), False, False)
    reading = _read_legacy(address)
    if reading.district_named or reading.conversion.province is None:
        return reading
    return _old_district_new_province(address, reading.conversion.province) or reading


def _old_district_new_province(address: str, province: Province) -> LegacyReading | None:
    """ "Phường Chánh Nghĩa, TP Thủ Dầu Một, TP Hồ Chí Minh": a district of the old system,
    with its type, followed by the *current* province it now belongs to. The address is
    read again with the old province that had this district and merged into that one; its
    conversion counts only if it names the district there and lands in that province,
    otherwise only the province is kept (reported, never guessed)."""
    parts = re.split(r"[,;]", address)
    for i in range(1, len(parts) - 1):
        m = _typed_district().fullmatch(fold(parts[i]))
        if m is None or _NOTHING_AFTER.fullmatch(fold(" ".join(parts[i + 1 :]))):
            continue
        name = " ".join(m["name"].split())
        olds = [
            p
            for p in _old_provinces_of(province.code)
            if name in _data().legacy_district_names[p.code]
            or f"quan {name}" in _data().legacy_district_names[p.code]
        ]
        if len(olds) == 1:
            again = _read_legacy(",".join([*parts[: i + 1], f" {olds[0].name}"]))
            if again.district_named and again.conversion.province == province:
                return again
        note = f"a pre-2025 district written before {province.name}, not read in it"
        return LegacyReading(Conversion(None, (), False, province, note), True, True)
    return None


_NOTHING_AFTER = re.compile(r"[\W_]*(?:viet\s*nam)?[\W_]*")


@cache
def _typed_district() -> re.Pattern[str]:
    """Any pre-2025 district of the country with its type ("TP Thủ Dầu Một", "Q.3")."""
    names = {n for ns in _data().legacy_district_names.values() for n in ns}
    numbers = _alternatives(n[5:] for n in names if re.fullmatch(r"quan \d+", n))
    words = _alternatives(n for n in names if not re.fullmatch(r"quan \d+", n))
    return re.compile(rf"\s*(?:{_DISTRICT_TYPES})\s*\.?\s*(?P<name>{words}|{numbers})\s*")


def _old_provinces_of(province_code: str) -> list[Province]:
    """The pre-2025 provinces merged (wholly or partly) into a current province."""
    return _old_provinces_by_new().get(province_code, [])


@cache
def _old_provinces_by_new() -> dict[str, list[Province]]:
    data = _data()
    out: dict[str, list[Province]] = {}
    for code, ward in data.legacy_wards.items():
        new = data.by_ward[code].province
        olds = out.setdefault(new.code if new else "", [])
        old = data.legacy_provinces[ward.province_code]
        if old not in olds:
            olds.append(old)
    return out


def _read_legacy(address: str) -> LegacyReading:
    data = _data()
    unit = _legacy_parser()(address, keep_street=False, level=3)
    if _province_misread(address, _legacy_province_keywords().get(unit.province_key or "", ())):
        return LegacyReading(Conversion(None, (), False, None, _MISREAD), False, False)
    folded, code = fold(address), unit.province_code or ""
    named = _district_pattern(code, "named").search(folded) is not None
    between = named or any(
        _district_pattern(code, "segment").fullmatch(part.strip())
        for part in re.split(r"[,;]", folded)[1:]
    )
    if unit.ward_code in data.by_ward:
        return LegacyReading(data.by_ward[unit.ward_code], between, named)
    if unit.district_code in data.by_district:
        return LegacyReading(data.by_district[unit.district_code], between, named)
    prov = data.new_province_of_old_key.get(unit.province_key or "")
    if prov is None:
        conv = Conversion(None, (), False, None, "address not recognised")
        return LegacyReading(conv, False, named)
    what = "ward" if unit.district_code else "district and ward"
    note = f"{what} not recognised; only the province is known"
    return LegacyReading(Conversion(None, (), False, prov, note), False, named)


def read_current_address(address: str) -> Commune | None:
    """The current commune an address names in the 2025 two-tier system, or None (also when
    the province the parser found is only spelled across words: "hn" in "Vinh Nghệ An")."""
    if not isinstance(address, str) or not any(ch.isalnum() for ch in address):
        return None
    unit = _current_parser()(address, keep_street=False, level=2)
    if _province_misread(address, _current_province_keywords().get(unit.province_key or "", ())):
        return None
    return find_commune(unit.ward_code or "")


_MISREAD = "province found only across word boundaries"

# A district-level type as written: "Quận", "Huyện", "Thị xã", "Thành phố" and their
# abbreviations "Q.", "H.", "TX.", "TP." (folded, with or without the dot and the space).
_DISTRICT_TYPES = r"quan|huyen|thi\s*xa|thanh\s*pho|tp|tx|q|h"


@cache
def _district_pattern(legacy_province_code: str, form: str) -> re.Pattern[str]:
    """A pre-2025 district of the province as whole words, on folded text.

    ``named``: "<type> <district>" anywhere, with something other than "Việt Nam" after it
    (the province): "Thành phố Huế" alone is the current province, "Thành phố Huế, Thừa
    Thiên Huế" the old district. ``segment``: a whole comma-separated part, the district
    with or without its type ("Thủ Dầu Một", "TP Thủ Dầu Một").
    """
    names = _data().legacy_district_names.get(legacy_province_code, ())
    numbers = _alternatives(n[5:] for n in names if re.fullmatch(r"quan \d+", n))  # "Quận 3"
    words = _alternatives(n for n in names if not re.fullmatch(r"quan \d+", n))
    typed = rf"(?:{_DISTRICT_TYPES})\s*\.?\s*(?:{words}|{numbers})"
    if form == "segment":
        return re.compile(rf"{typed}|(?:{words})(?:\s*\((?:{_DISTRICT_TYPES})\))?")
    return re.compile(rf"(?<![a-z0-9]){typed}(?![a-z0-9])(?![\W_]*(?:viet\s*nam)?[\W_]*$)")


def _alternatives(names: Iterable[str]) -> str:
    """Folded names as a regex alternation, longest first, any spacing; never matches when
    empty."""
    ordered = sorted(names, key=len, reverse=True)
    return "|".join(r"\s*".join(map(re.escape, n.split())) for n in ordered) or "(?!)"


# A province keyword may be glued to its type: "TPHCM", "tinhdaklak".
_GLUED = ("tp", "tinh", "thanhpho")


def _province_misread(address: str, keywords: tuple[str, ...]) -> bool:
    """True when the province's keywords occur in the address, but only across word
    boundaries ("hn" in "vinh nghe an"): the parser's province is then a misreading."""
    words = re.findall(r"[a-z0-9]+", fold(address))
    joined = "".join(words)
    bounds = set(accumulate(map(len, words), initial=0))
    found = False
    for kw in keywords:
        at = joined.find(kw)
        while at != -1:
            glued = any(at - len(g) in bounds and joined.startswith(g, at - len(g)) for g in _GLUED)
            if (at in bounds or glued) and at + len(kw) in bounds:
                return False
            found = True
            at = joined.find(kw, at + 1)
    return found


@cache
def _legacy_province_keywords() -> dict[str, tuple[str, ...]]:
    from vietnamadminunits.parser.parser_legacy import DICT_PROVINCE

    return {k: tuple(v["provinceKeywords"]) for k, v in DICT_PROVINCE.items()}


@cache
def _current_province_keywords() -> dict[str, tuple[str, ...]]:
    from vietnamadminunits.parser.parser_from_2025 import DICT_PROVINCE

    return {k: tuple(v["provinceKeywords"]) for k, v in DICT_PROVINCE.items()}


@cache
def _current_parser() -> Callable[..., Any]:
    # Pure regex matching over the package's bundled keywords; no network.
    from vietnamadminunits.parser.parser_from_2025 import parse_address_from_2025

    return parse_address_from_2025


def format_address(detail: str | None, commune_code: str) -> str:
    """Current-style address line: "detail, commune, province"."""
    c = commune(commune_code)
    parts = [(detail or "").strip().strip(",").strip(), c.name, province(c.province_code).name]
    return ", ".join(p for p in parts if p)

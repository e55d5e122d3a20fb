"""Reading administrative units out of an address's text, offline: the pre-2025 (63-province,
three-tier) parser and its conversion to the current commune, and the 2025 two-tier one.

The ``vietnamadminunits`` package's own ``convert_address`` geocodes the street of a split
ward online, so we never call it; a split ward is reported as an uncertain guess instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from itertools import accumulate
from typing import Any

from dancu.common.adminunits.units import Commune, Conversion, Province, _data, find_commune
from dancu.common.textfold import fold


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

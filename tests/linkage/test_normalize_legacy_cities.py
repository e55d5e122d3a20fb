"""Pre-2025 addresses whose district was a city ("thành phố") or a town ("thị xã").

Issue 14: "Xã Ea Tu, Thành phố Buôn Ma Thuột, Tỉnh Đắk Lắk" was not recognised as a
pre-2025 address (the check knew only quận/huyện/thị xã), and the current parser took the
district's name for the commune ("Phường Buôn Ma Thuột" instead of "Phường Tân An").

The test set is built from the package's own pre-2025 unit table: every ward of every
district of type "Thành phố" or "Thị xã", written in seven spellings. Each address must be
converted to the commune of the package's old → new conversion, or reported; never placed
silently in another commune. The counts are in docs/linkage.md ("Normalization").
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

from dancu.common import adminunits as au
from dancu.common.adminunits import units as au_units
from dancu.common.textfold import fold
from dancu.linkage.normalize import Address, Normalized, normalize_address

# Streets that are also names of wards or communes somewhere (Lê Lợi, Hùng Vương, ...):
# the parser must not take a street for the ward.
STREETS = ("Lê Lợi", "Trần Hưng Đạo", "Nguyễn Huệ", "Hùng Vương")
REPORTED = {
    "address.legacy_uncertain",
    "address.ambiguous",
    "address.province_only",
    "address.not_recognised",
}


def _city_wards() -> list[dict[str, str]]:
    # The package's pre-2025 table, read as the module reads it (no unit typed by hand).
    rows = au_units._rows(
        "SELECT DISTINCT province, provinceShort, district, districtShort, districtType,"
        " wardCode, ward FROM admin_units_legacy"
        " WHERE districtType IN ('Thành phố', 'Thị xã') AND wardCode IS NOT NULL"
        " ORDER BY wardCode"
    )
    # "Cao Lãnh (Thành phố)": the table's disambiguation, not how people write it.
    return [
        {
            **r,
            "districtShort": re.sub(r"\s*\(.*?\)", "", r["districtShort"]),
            "new_province": au.province(
                au.convert_legacy_ward(r["wardCode"]).commune.province_code
            ).name,
        }
        for r in rows
    ]


def _spellings(r: dict[str, str], i: int) -> list[str]:
    street = f"{i % 97 + 1} {STREETS[i % len(STREETS)]}"
    city = r["districtType"] == "Thành phố"
    full = f"{street}, {r['ward']}, {r['district']}, {r['province']}"
    short = r["districtShort"]
    return [
        full,  # with diacritics
        fold(full),  # without
        f"{street}, {r['ward']}, {'TP.' if city else 'TX.'} {short}, {r['provinceShort']}",
        f"{street},{r['ward']},{'Tp' if city else 'Tx'} {short},{r['provinceShort']}",
        fold(f"{street} {r['ward']} {'TP.' if city else 'TX.'}{short} {r['provinceShort']}"),
        f"{street}, {r['ward']}, {short}, {r['province']}",  # the district without its type
        # The old district, then the current province it now belongs to.
        f"{street}, {r['ward']}, {r['district']}, {r['new_province']}",
    ]


@pytest.fixture(scope="module")
def outcomes() -> list[tuple[int, str, au.Conversion, Normalized[Address]]]:
    out = []
    for i, r in enumerate(_city_wards()):
        expected = au.convert_legacy_ward(r["wardCode"])
        for k, text in enumerate(_spellings(r, i)):
            out.append((k, text, expected, normalize_address(text)))
    return out


def test_no_city_address_lands_silently_in_another_commune(outcomes) -> None:  # type: ignore[no-untyped-def]
    silent = [
        (text, got.value.commune_code if got.value else None, expected.commune.code)
        for _, text, expected, got in outcomes
        if got.problem is None
        and not (expected.certain and got.value.commune_code == expected.commune.code)
    ]
    assert silent == []
    assert {got.problem for *_, got in outcomes} <= REPORTED | {None}


def test_city_addresses_counted(outcomes) -> None:  # type: ignore[no-untyped-def]
    counts = Counter(got.problem for *_, got in outcomes)
    # 1,936 wards of 139 cities and towns (87 + 52), seven spellings each.
    assert len(outcomes) == 13552
    assert counts == {
        None: 12036,
        "address.ambiguous": 1047,
        "address.legacy_uncertain": 428,
        "address.not_recognised": 33,
        "address.province_only": 8,
    }


def test_a_district_written_with_its_type_converts_like_the_package(outcomes) -> None:  # type: ignore[no-untyped-def]
    # Spellings 0, 2, 3 and 6 name the district with its type ("Thành phố X", "TP. X", "Tx
    # X"), with diacritics, parts separated by commas, then the old or the current province:
    # each converts exactly as the package's mapping does, a split old ward as a reported
    # guess. (Without diacritics a few wards cannot be told apart, "Hương Vân" and "Hương
    # Văn": reported, see the first test.)
    wrong = []
    for k, text, expected, got in outcomes:
        if k not in (0, 2, 3, 6):
            continue
        want_problem = None if expected.certain else "address.legacy_uncertain"
        want = Address(
            expected.commune.province_code, expected.commune.code, True, expected.certain
        )
        if got != Normalized(want, want_problem):
            wrong.append((text, got))
    assert wrong == []


def test_ea_tu_in_the_city_of_buon_ma_thuot() -> None:
    text = "12 Nguyễn Tất Thành, Xã Ea Tu, Thành phố Buôn Ma Thuột, Tỉnh Đắk Lắk"
    got = normalize_address(text)
    # 24163 was "Xã Ea Tu" and is now "Phường Tân An"; "Phường Buôn Ma Thuột" is 24133.
    assert got == Normalized(Address("66", "24163", legacy=True, certain=True))


def test_both_systems_reading_different_communes_is_reported() -> None:
    # An old ward followed by its city's bare name, which is also a current commune's name:
    # the old system and the new one place it differently, so nothing is guessed.
    for r in _city_wards():
        text = f"{r['ward']}, {r['districtShort']}, {r['province']}"
        current = au.read_current_address(text)
        expected = au.convert_legacy_ward(r["wardCode"])
        if current is not None and current != expected.commune and expected.certain:
            break
    else:
        pytest.fail("no address that the two systems read differently")
    got = normalize_address(text)
    assert got.problem == "address.ambiguous", text
    assert got.value is not None and got.value.commune_code is None
    assert got.value.certain is False


def test_a_province_keyword_across_words_is_not_the_province() -> None:
    # "tp.vinh nghe an" contains "hn" (Hà Nội) across "vinh" and "nghe": both parsers of the
    # package read Hà Nội; the address must be reported, not placed in Hà Nội.
    got = normalize_address("90 tran hung dao phuong cua nam tp.vinh nghe an")
    assert got.problem in REPORTED
    assert got.value is None or got.value.province_code != "01"

"""``legacy_wards_merged_into``: the pre-2025 wards merged whole into each current commune."""

from __future__ import annotations

import pytest

from dancu.common import adminunits as au
from dancu.common.adminunits import units


def test_merged_wards_of_dak_lak() -> None:
    merged = au.legacy_wards_merged_into("66")
    tuy_hoa = [w.name for w in merged["22015"]]  # Phường Tuy Hòa: old wards 1, 2, 4, 5, 7
    assert tuy_hoa == ["Phường 1", "Phường 2", "Phường 4", "Phường 5", "Phường 7"]
    for commune, wards in merged.items():
        assert au.commune(commune).province_code == "66"
        for ward in wards:
            conversion = au.convert_legacy_ward(ward.code)
            assert conversion.certain and conversion.commune == au.commune(commune)


def test_every_certain_ward_of_the_province_is_listed_and_split_ones_are_not() -> None:
    listed = {w.code for ws in au.legacy_wards_merged_into("66").values() for w in ws}
    expected = set()
    for code in units._data().legacy_wards:
        conversion = au.convert_legacy_ward(code)
        if conversion.certain and conversion.commune and conversion.commune.province_code == "66":
            expected.add(code)
    assert listed == expected
    assert "22225" not in listed  # Xã Ea Bar was split: its commune is only a guess
    assert not au.convert_legacy_ward("22225").certain


def test_unknown_province() -> None:
    with pytest.raises(au.UnknownUnitError) as exc:
        au.legacy_wards_merged_into("99")
    assert exc.value.field == "province_code"

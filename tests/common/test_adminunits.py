"""Administrative units against the real data shipped with ``vietnamadminunits``."""

from __future__ import annotations

import dataclasses
import socket
import subprocess
import sys

import pytest

from dancu.common import adminunits as au
from dancu.common.adminunits import (
    Commune,
    Conversion,
    LegacyWard,
    Province,
    UnknownUnitError,
    addresses,
    units,
)

DAK_LAK = Province("66", "Tỉnh Đắk Lắk", "Đắk Lắk")
TAN_AN = Commune("24163", "Phường Tân An", "Tân An", "Phường", "66")
EA_BA = Commune("22225", "Xã Ea Bá", "Ea Bá", "Xã", "66")
EA_LY = Commune("22237", "Xã Ea Ly", "Ea Ly", "Xã", "66")
TUY_HOA = Commune("22015", "Phường Tuy Hòa", "Tuy Hòa", "Phường", "66")


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Make every way out to the network fail and record the attempts."""
    attempts: list[tuple] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("network access attempted in an offline test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def test_counts() -> None:
    assert len(au.provinces()) == 34
    assert len(au.communes()) == 3321
    assert len(au.legacy_provinces()) == 63
    assert au.legacy_district_count() == 696
    assert au.legacy_ward_count() == 10035


def test_lists_are_sorted_and_unique() -> None:
    codes = [p.code for p in au.provinces()]
    assert codes == sorted(set(codes))
    assert codes[0] == "01" and codes[-1] == "96"
    commune_codes = [c.code for c in au.communes()]
    assert commune_codes == sorted(set(commune_codes))
    assert {len(c) for c in commune_codes} == {5}
    legacy = [p.code for p in au.legacy_provinces()]
    assert legacy == sorted(set(legacy))


def test_commune_kinds() -> None:
    kinds: dict[str, int] = {}
    for c in au.communes():
        kinds[c.kind] = kinds.get(c.kind, 0) + 1
    assert kinds == {"Xã": 2621, "Phường": 687, "Đặc khu": 13}


def test_dak_lak() -> None:
    assert au.province("66") == DAK_LAK
    dak_lak = au.communes("66")
    assert len(dak_lak) == 102
    assert {c.province_code for c in dak_lak} == {"66"}
    assert TAN_AN in dak_lak
    assert sum(len(au.communes(p.code)) for p in au.provinces()) == 3321


def test_lookups() -> None:
    assert au.commune("24163") == TAN_AN
    assert au.find_commune("24163") == TAN_AN
    assert au.find_commune("99999") is None
    assert au.legacy_ward("24163") == LegacyWard(
        "24163", "Xã Ea Tu", "643", "Thành phố Buôn Ma Thuột", "66", "Tỉnh Đắk Lắk"
    )
    assert au.legacy_ward("22015").province_name == "Tỉnh Phú Yên"


@pytest.mark.parametrize(
    ("call", "value", "field"),
    [
        (au.province, "99", "province_code"),
        (au.communes, "99", "province_code"),
        (au.commune, "99999", "commune_code"),
        (au.legacy_ward, "00000", "legacy_ward_code"),
        (au.convert_legacy_ward, "abcde", "legacy_ward_code"),
    ],
)
def test_unknown_codes_raise(call, value: str, field: str) -> None:
    with pytest.raises(UnknownUnitError) as info:
        call(value)
    assert info.value.field == field
    assert info.value.value == value
    assert isinstance(info.value, ValueError)


def test_values_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        au.province("66").name = "x"  # type: ignore[misc]
    assert not hasattr(TAN_AN, "__dict__")


def test_unsplit_ward_converts_with_certainty() -> None:
    assert au.convert_legacy_ward("24163") == Conversion(
        TAN_AN, (TAN_AN,), True, DAK_LAK, "maps to Phường Tân An"
    )


def test_every_legacy_ward_has_a_conversion() -> None:
    certain = split = 0
    for code in units._data().legacy_wards:
        conv = au.convert_legacy_ward(code)
        assert conv.commune in conv.candidates
        assert conv.certain == (len(conv.candidates) == 1)
        assert conv.province == au.province(conv.commune.province_code)
        certain += conv.certain
        split += not conv.certain
    assert (certain, split) == (9564, 471)


def test_split_ward_is_a_guess_without_network(no_network: list[tuple], monkeypatch) -> None:
    # Re-import the package's parser under the block so its import is covered as well.
    for name in [m for m in sys.modules if m.split(".")[0] == "vietnamadminunits"]:
        monkeypatch.delitem(sys.modules, name)
    addresses._legacy_parser.cache_clear()

    by_code = au.convert_legacy_ward("22225")  # Xã Ea Bar, Huyện Sông Hinh, Tỉnh Phú Yên
    assert by_code.certain is False
    assert by_code.candidates == (EA_BA, EA_LY)
    assert by_code.commune == EA_BA
    assert by_code.province == DAK_LAK
    assert by_code.note.startswith("old ward split into 2 communes")

    for address in (
        "12 Nguyễn Huệ, Xã Ea Bar, Huyện Sông Hinh, Tỉnh Phú Yên",
        "thon 3, xa ea bar, huyen song hinh, phu yen",
    ):
        assert au.convert_legacy_address(address) == by_code

    five = au.convert_legacy_address("Số 5 ngõ 10, Phường Đại Mỗ, Quận Nam Từ Liêm, Hà Nội")
    assert five.certain is False
    assert [c.name for c in five.candidates] == [
        "Phường Xuân Phương",
        "Phường Tây Mỗ",
        "Phường Đại Mỗ",
        "Phường Hà Đông",
        "Phường Dương Nội",
    ]
    assert five.commune == Commune("00637", "Phường Đại Mỗ", "Đại Mỗ", "Phường", "01")
    assert five.province == au.province("01")

    assert no_network == []
    with pytest.raises(OSError):  # the block is really in place
        socket.create_connection(("example.com", 80))
    addresses._legacy_parser.cache_clear()


@pytest.mark.parametrize(
    "address",
    [
        "Xã Ea Tu, Thành phố Buôn Ma Thuột, Tỉnh Đắk Lắk",
        "xa ea tu, tp buon ma thuot, dak lak",
        "Thôn 2, Xã Ea Tu, TP. Buôn Ma Thuột, Đắk Lắk",
    ],
)
def test_address_converts(address: str) -> None:
    assert au.convert_legacy_address(address) == au.convert_legacy_ward("24163")


def test_phu_yen_address_moves_to_dak_lak() -> None:
    conv = au.convert_legacy_address("Phường 1, Thành phố Tuy Hòa, Tỉnh Phú Yên")
    assert conv.commune == TUY_HOA
    assert conv.certain is True
    assert conv.province == DAK_LAK


def test_island_district_without_wards() -> None:
    conv = au.convert_legacy_address("Huyện Côn Đảo, Tỉnh Bà Rịa - Vũng Tàu")
    assert conv.commune == Commune("26732", "Đặc khu Côn Đảo", "Côn Đảo", "Đặc khu", "79")
    assert conv.certain is True
    assert conv.province == au.province("79")


def test_province_only_address() -> None:
    conv = au.convert_legacy_address("Tỉnh Phú Yên")
    assert conv == Conversion(
        None, (), False, DAK_LAK, "district and ward not recognised; only the province is known"
    )


@pytest.mark.parametrize(
    "address", ["", "   ", "!!!???", "lorem ipsum dolor sit amet", "không có địa chỉ"]
)
def test_garbage_address_returns_nothing(address: str) -> None:
    conv = au.convert_legacy_address(address)
    assert conv.commune is None
    assert conv.candidates == ()
    assert conv.certain is False
    assert conv.province is None


def test_format_address() -> None:
    assert (
        au.format_address("12 Lê Duẩn", "24133") == "12 Lê Duẩn, Phường Buôn Ma Thuột, Tỉnh Đắk Lắk"
    )
    assert au.format_address(None, "24133") == "Phường Buôn Ma Thuột, Tỉnh Đắk Lắk"
    assert au.format_address("  ", "24163") == "Phường Tân An, Tỉnh Đắk Lắk"
    with pytest.raises(UnknownUnitError):
        au.format_address("12 Lê Duẩn", "99999")


def test_import_is_cheap() -> None:
    code = (
        "import sys, dancu.common.adminunits as au; au.provinces(); "
        "print(sorted(m for m in sys.modules if m.startswith(('vietnamadminunits', 'geopy'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("address", "named"),
    [
        ("Xã Ea Tu, Thành phố Buôn Ma Thuột, Tỉnh Đắk Lắk", True),
        ("xa ea tu, tp buon ma thuot, dak lak", True),
        ("Thôn 2, Xã Ea Tu, TP.Buôn Ma Thuột, Đắk Lắk", True),
        ("Phường 1, Q.3, TP.HCM", True),
        ("Phường Linh Chiểu, Tp Thủ Đức, Thành phố Hồ Chí Minh", True),
        ("Phường Phú Bài, TX Hương Thủy, Thừa Thiên Huế", True),
        # Current addresses: a commune named like an old district, or a type word inside
        # a commune's name, is not a district.
        ("Phường Buôn Ma Thuột, Tỉnh Đắk Lắk", False),
        ("Phường Thủ Đức, Thành phố Hồ Chí Minh", False),
        ("Xã Quản Bạ, Tỉnh Tuyên Quang", False),
        ("Phường Thuận Hóa, Thành phố Huế", False),  # the province, not the old district
        ("Phường Thuận Hóa, Thành phố Huế, Việt Nam", False),
    ],
)
def test_a_district_named_with_its_type(address: str, named: bool) -> None:
    assert au.read_legacy_address(address).district_named is named


def test_a_province_spelled_across_words_is_not_read() -> None:
    # "hn" (a keyword of Hà Nội) spans "vinh" and "nghe": not a province.
    text = "90 tran hung dao phuong cua nam tp.vinh nghe an"
    assert au.read_current_address(text) is None
    assert au.read_legacy_address(text).conversion.province is None
    assert au.read_current_address("Phường Bến Thành, TPHCM") == au.commune("26743")


def test_an_old_district_before_its_current_province() -> None:
    # Bình Dương merged into Thành phố Hồ Chí Minh: the old city of Thủ Dầu Một is read in
    # Bình Dương, and Phường Chánh Nghĩa converts as the package maps it.
    text = "5 Lê Lợi, Phường Chánh Nghĩa, TP Thủ Dầu Một, TP Hồ Chí Minh"
    [ward] = [w for w in units._data().legacy_wards.values() if w.name == "Phường Chánh Nghĩa"]
    reading = au.read_legacy_address(text)
    assert reading.district_named and reading.complete
    assert reading.conversion == au.convert_legacy_ward(ward.code)
    # The same district before a province it never belonged to: only the province is kept.
    other = au.read_legacy_address("Phường Chánh Nghĩa, TP Thủ Dầu Một, Tỉnh Đắk Lắk")
    assert other.conversion.commune is None

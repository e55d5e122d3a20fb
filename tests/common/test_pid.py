"""Tests for dancu.common.pid."""

from __future__ import annotations

from datetime import date

import pytest

from dancu.common.pid import (
    PidError,
    PidInfo,
    check_against,
    classify_number,
    explain,
    is_valid_pid,
    make_pid,
    parse_pid,
    valid_province_codes,
)

FAR_FUTURE = date(2400, 1, 1)  # lets every century digit parse
TODAY = date(2025, 6, 1)


def error_code(value: str, **kwargs: object) -> str:
    with pytest.raises(PidError) as info:
        parse_pid(value, **kwargs)  # type: ignore[arg-type]
    assert info.value.field == "pid"
    assert info.value.message == str(info.value)
    return info.value.code


def test_province_codes_come_from_package_data() -> None:
    codes = valid_province_codes()
    assert len(codes) == 63
    assert {"001", "079", "096", "002", "004"} <= codes
    assert not {"000", "003", "005", "099", "097", "100"} & codes
    assert all(len(c) == 3 and c.isdigit() for c in codes)
    assert valid_province_codes() is codes  # cached


@pytest.mark.parametrize(
    ("digit", "sex", "century", "year"),
    [
        ("0", "M", 20, 1985),
        ("1", "F", 20, 1985),
        ("2", "M", 21, 2085),
        ("3", "F", 21, 2085),
        ("4", "M", 22, 2185),
        ("5", "F", 22, 2185),
        ("6", "M", 23, 2285),
        ("7", "F", 23, 2285),
        ("8", "M", 24, 2385),
        ("9", "F", 24, 2385),
    ],
)
def test_century_digit_derivation(digit: str, sex: str, century: int, year: int) -> None:
    pid = f"001{digit}85012345"
    assert parse_pid(pid, today=FAR_FUTURE) == PidInfo(
        pid=pid, province_code="001", sex=sex, century=century, birth_year=year, serial="012345"
    )


def test_parse_strips_separators() -> None:
    info = parse_pid(" 079.2-05 123456 ", today=TODAY)
    assert info.pid == "079205123456"
    assert (info.province_code, info.sex, info.birth_year) == ("079", "M", 2005)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "pid.length"),
        ("00108501234", "pid.length"),
        ("0010850123456", "pid.length"),
        ("001085012a45", "pid.not_digits"),
        ("００１０８５０１２３４５", "pid.not_digits"),  # full-width digits
        ("001٠85012345", "pid.not_digits"),  # Arabic-Indic digit
        ("000085012345", "pid.province"),
        ("003085012345", "pid.province"),
        ("099085012345", "pid.province"),
        ("001485012345", "pid.century"),
        ("001985012345", "pid.century"),
        ("001298012345", "pid.birth_year_future"),
        ("001399012345", "pid.birth_year_future"),
    ],
)
def test_error_codes(value: str, code: str) -> None:
    assert error_code(value, today=TODAY) == code
    assert explain(value) is not None
    assert not is_valid_pid(value)


def test_future_birth_year_boundary() -> None:
    assert parse_pid("001225012345", today=TODAY).birth_year == 2025
    assert error_code("001225012345", today=date(2024, 12, 31)) == "pid.birth_year_future"


def test_nine_digits_length_message_mentions_cmnd() -> None:
    with pytest.raises(PidError, match="CMND"):
        parse_pid("123456789")


def test_explain_and_is_valid() -> None:
    assert explain("001085012345") is None
    assert is_valid_pid("001085012345")
    assert "province" in (explain("003085012345") or "")


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("001085012345", "pid"),
        ("001 085 012 345", "pid"),
        ("123456789", "cmnd9"),
        ("012345678", "cmnd9"),
        ("0912345678", "invalid"),  # 10-digit phone number
        ("003085012345", "invalid"),
        ("12345678a", "invalid"),
        ("", "invalid"),
    ],
)
def test_classify_number(value: str, kind: str) -> None:
    assert classify_number(value) == kind


def test_check_against_accepts_consistent_record() -> None:
    check_against("001185012345", birth_date=date(1985, 3, 9), sex="F")
    check_against("001185012345", birth_date=date(1985, 3, 9), sex="f")


def test_check_against_catches_typoed_year() -> None:
    with pytest.raises(PidError) as info:
        check_against("001186012345", birth_date=date(1985, 3, 9), sex="F")
    assert info.value.code == "pid.birth_mismatch"


def test_check_against_catches_century_typo() -> None:
    with pytest.raises(PidError) as info:
        check_against("001305012345", birth_date=date(1905, 3, 9), sex="F")
    assert info.value.code == "pid.birth_mismatch"


def test_check_against_catches_wrong_sex_digit() -> None:
    with pytest.raises(PidError) as info:
        check_against("001085012345", birth_date=date(1985, 3, 9), sex="F")
    assert info.value.code == "pid.sex_mismatch"


def test_check_against_propagates_invalid_pid() -> None:
    with pytest.raises(PidError) as info:
        check_against("003085012345", birth_date=date(1985, 3, 9), sex="M")
    assert info.value.code == "pid.province"


def test_check_against_rejects_bad_sex_argument() -> None:
    with pytest.raises(PidError) as info:
        check_against("001085012345", birth_date=date(1985, 3, 9), sex="X")
    assert (info.value.code, info.value.field) == ("pid.sex", "sex")


@pytest.mark.parametrize(
    ("province", "birth", "sex", "serial"),
    [
        ("001", date(1900, 1, 1), "M", 0),
        ("01", date(1999, 12, 31), "F", 999_999),
        ("079", date(2000, 1, 1), "M", 123),
        ("096", date(2010, 6, 15), "F", 654_321),
        ("048", date(1975, 4, 30), "F", 42),
        ("002", date.today(), "M", 7),
    ],
)
def test_make_pid_round_trips(province: str, birth: date, sex: str, serial: int) -> None:
    pid = make_pid(province_code=province, birth_date=birth, sex=sex, serial=serial)
    info = parse_pid(pid)
    assert len(pid) == 12
    assert info.province_code == province.zfill(3)
    assert (info.birth_year, info.sex, int(info.serial)) == (birth.year, sex, serial)
    check_against(pid, birth_date=birth, sex=sex)


def test_make_pid_round_trips_every_province() -> None:
    for code in sorted(valid_province_codes()):
        pid = make_pid(province_code=code, birth_date=date(1990, 1, 1), sex="M", serial=1)
        assert parse_pid(pid).province_code == code


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"province_code": "003"}, "pid.province"),
        ({"province_code": "1"}, "pid.province"),
        ({"birth_date": date(1899, 12, 31)}, "pid.century"),
        ({"birth_date": date(date.today().year + 1, 1, 1)}, "pid.birth_year_future"),
        ({"sex": "nam"}, "pid.sex"),
        ({"serial": -1}, "pid.serial"),
        ({"serial": 1_000_000}, "pid.serial"),
        ({"serial": True}, "pid.serial"),
    ],
)
def test_make_pid_validates(kwargs: dict[str, object], code: str) -> None:
    args: dict[str, object] = {
        "province_code": "001",
        "birth_date": date(1990, 1, 1),
        "sex": "M",
        "serial": 1,
    }
    args.update(kwargs)
    with pytest.raises(PidError) as info:
        make_pid(**args)  # type: ignore[arg-type]
    assert info.value.code == code

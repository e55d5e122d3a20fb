"""ICAO 9303 TD1 zones: check digits, the failing field named, Vietnamese names."""

from __future__ import annotations

from datetime import date

import pytest

from dancu.identity.chip.mrz import MrzError, check_digit, compose_td1, parse_td1

# The specimen of ICAO Doc 9303 Part 5 (a fictitious holder of the fictitious state Utopia).
SPECIMEN = (
    "I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<"
)


def _replace(zone: str, line: int, position: int, char: str) -> str:
    lines = zone.split("\n")
    text = lines[line]
    lines[line] = text[:position] + char + text[position + 1 :]
    return "\n".join(lines)


def test_the_icao_specimen_reads_with_every_check_digit_right():
    mrz = parse_td1(SPECIMEN)
    assert (mrz.document_code, mrz.issuing_state, mrz.document_number) == ("I", "UTO", "D23145890")
    assert (mrz.birth_date, mrz.sex, mrz.expiry_date, mrz.nationality) == (
        "740812",
        "F",
        "120415",
        "UTO",
    )
    assert (mrz.primary_identifier, mrz.secondary_identifier) == ("ERIKSSON", "ANNA MARIA")
    assert mrz.birth(today=date(2026, 11, 23)) == date(1974, 8, 12)
    assert mrz.expiry() == date(2012, 4, 15)


@pytest.mark.parametrize(  # AZ9: 10*7 + 35*3 + 9*1 = 184
    ("data", "digit"),
    [("D23145890", "7"), ("740812", "2"), ("120415", "9"), ("<<<<", "0"), ("AZ9", "4")],
)
def test_check_digits(data, digit):
    assert check_digit(data) == digit


@pytest.mark.parametrize(
    ("line", "position", "char", "field"),
    [
        (0, 7, "4", "document_number"),  # D23 -> D24
        (1, 3, "9", "birth_date"),  # 740812 -> 740912
        (1, 12, "2", "expiry_date"),  # 120415 -> 120425
        (1, 20, "X", "composite"),  # optional data 2 is covered by the composite only
        (0, 20, "Q", "composite"),  # optional data 1 too
    ],
)
def test_an_altered_character_names_the_check_that_failed(line, position, char, field):
    with pytest.raises(MrzError) as caught:
        parse_td1(_replace(SPECIMEN, line, position, char))
    assert (caught.value.code, caught.value.field) == ("mrz.check_digit", field)


@pytest.mark.parametrize(
    ("zone", "code"),
    [
        ("\n".join(SPECIMEN.split("\n")[:2]), "mrz.shape"),
        (SPECIMEN + "<", "mrz.shape"),
        (SPECIMEN.replace("ERIKSSON", "Eriksson"), "mrz.character"),
    ],
)
def test_malformed_zones_are_refused(zone, code):
    with pytest.raises(MrzError) as caught:
        parse_td1(zone)
    assert caught.value.code == code


def test_an_unknown_sex_is_refused():
    """Sex is outside every check digit (the composite skips it), so it is checked alone."""
    with pytest.raises(MrzError) as caught:
        parse_td1(_replace(SPECIMEN, 1, 7, "X"))
    assert (caught.value.code, caught.value.field) == ("mrz.sex", "sex")


def test_a_vietnamese_card_round_trips_with_its_name_transliterated():
    zone = compose_td1(
        document_number="066190012345",
        birth_date=date(1990, 5, 17),
        sex="F",
        expiry_date=date(2030, 5, 17),
        family_name="Đặng",
        given_names="Thị Ánh Tuyết",
    )
    lines = zone.split("\n")
    assert [len(line) for line in lines] == [30, 30, 30]
    assert lines[2] == "DANG<<THI<ANH<TUYET<<<<<<<<<<<"
    mrz = parse_td1(zone)
    assert (mrz.document_code, mrz.issuing_state, mrz.nationality) == ("ID", "VNM", "VNM")
    assert mrz.document_number == "066190012345"  # 12 characters: the long-number form
    assert mrz.birth(today=date(2026, 11, 23)) == date(1990, 5, 17)
    assert (mrz.primary_identifier, mrz.secondary_identifier) == ("DANG", "THI ANH TUYET")


def test_the_long_document_numbers_check_digit_is_checked_too():
    zone = compose_td1(
        document_number="066190012345",
        birth_date=date(1990, 5, 17),
        sex="M",
        expiry_date=date(2030, 5, 17),
        family_name="Nguyễn",
        given_names="Văn An",
    )
    with pytest.raises(MrzError) as caught:
        parse_td1(_replace(zone, 0, 16, "9"))  # a digit of the number's remainder
    assert caught.value.field in ("document_number", "composite")
    assert caught.value.code == "mrz.check_digit"


def test_a_ninety_character_zone_on_one_line_reads_too():
    assert parse_td1(SPECIMEN.replace("\n", "")).document_number == "D23145890"


def test_a_birth_date_this_century_is_placed_in_it():
    zone = compose_td1(
        document_number="AB1234567",
        birth_date=date(2012, 1, 31),
        sex="M",
        expiry_date=date(2027, 1, 31),
        family_name="Lê",
        given_names="Minh",
    )
    assert parse_td1(zone).birth(today=date(2026, 11, 23)) == date(2012, 1, 31)

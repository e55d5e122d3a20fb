"""Source types and column mappings, without reading a file."""

from __future__ import annotations

import pytest

from dancu.common.errors import ValidationFailed
from dancu.linkage.mappings import FIELDS, SOURCE_TYPES, resolve_mapping, source_type
from dancu.linkage.models import SOURCE_TYPES as STORED_TYPES


def test_every_source_type_has_a_default_mapping_of_known_fields() -> None:
    assert len(SOURCE_TYPES) == 8
    assert set(SOURCE_TYPES) == set(STORED_TYPES)  # the table's check constraint agrees
    for st in SOURCE_TYPES.values():
        assert "full_name" in st.default_mapping
        assert set(st.default_mapping) <= set(FIELDS)
        assert set(st.record_identity) <= set(st.default_mapping)


def test_records_per_person_or_per_parcel() -> None:
    assert SOURCE_TYPES["land"].record_identity == ("record_key",)  # the parcel number
    assert SOURCE_TYPES["civil_status"].record_identity == ("record_key",)  # the entry
    assert SOURCE_TYPES["social_insurance"].record_identity == ()  # one member, one record


def test_unknown_source_type() -> None:
    with pytest.raises(ValidationFailed) as exc:
        source_type("lottery")
    assert exc.value.code == "linkage.unknown_source_type" and exc.value.field == "source_type"


def test_given_mapping_then_default_then_same_name_case_insensitive() -> None:
    header = ["HoTen", "NGAY_SINH", "phone", "so_cccd"]
    columns = resolve_mapping(header, SOURCE_TYPES["social_insurance"], {"full_name": "hoten"})
    assert columns == {"full_name": 0, "birth_date": 1, "phone": 2, "id_number": 3}


def test_a_field_left_empty_in_the_mapping_is_not_filled_from_the_default() -> None:
    header = ["ho_ten", "so_cccd"]
    mapping = {"full_name": "ho_ten", "id_number": ""}
    assert resolve_mapping(header, SOURCE_TYPES["social_insurance"], mapping) == {"full_name": 0}


def test_unknown_field_in_the_mapping() -> None:
    with pytest.raises(ValidationFailed) as exc:
        resolve_mapping(["ho_ten"], SOURCE_TYPES["bank"], {"shoe_size": "ho_ten"})
    assert exc.value.code == "linkage.unknown_field" and exc.value.field == "shoe_size"

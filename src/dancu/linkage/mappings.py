"""Source types and column mappings: which of a file's columns hold which of our fields.

Every sector dataset has a *source type* (land, social insurance, ...) with a default
mapping (our field -> the column the agency's files usually name it) and the fields that,
together with the person, identify one record of that type (``record_identity``). A mapping
given with an import (or saved for the type) overrides the default field by field.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from dancu.common.errors import ValidationFailed
from dancu.common.i18n import N_
from dancu.linkage.errors import LinkageErrorCode

__all__ = [
    "FIELDS",
    "REQUIRED_FIELDS",
    "SOURCE_TYPES",
    "SourceType",
    "resolve_mapping",
    "source_type",
]

# Our fields, in the order a mapping form shows them. Only full_name is required.
FIELDS: tuple[str, ...] = (
    "record_key",
    "id_number",
    "full_name",
    "birth_date",
    "sex",
    "address",
    "commune_code",
    "phone",
)
REQUIRED_FIELDS = frozenset({"full_name"})


@dataclass(frozen=True, slots=True)
class SourceType:
    """``record_identity``: our fields that identify one record *together with the person*.

    Empty (most types): a dataset holds one record per person, so two records of one
    citizen are duplicates, and a repeated ``record_key`` is a repeated line. ``("record_key",)``
    (land: the parcel number; civil status: the entry number): one person legitimately has
    several records (several parcels, a birth and a marriage entry), two records of one
    citizen are duplicates only when these fields agree too, and a repeated ``record_key``
    with another person (co-owners of a parcel) is not a problem.
    """

    code: str
    label: str  # English, translated where shown
    default_mapping: Mapping[str, str]
    record_identity: tuple[str, ...] = ()


def _st(code: str, label: str, identity: tuple[str, ...] = (), **mapping: str) -> SourceType:
    return SourceType(code, label, mapping, identity)


SOURCE_TYPES: dict[str, SourceType] = {
    s.code: s
    for s in (
        _st(
            "land",
            N_("Land parcels and their users"),
            ("record_key",),  # one owner of several parcels is several records
            record_key="so_thua",
            full_name="ho_ten_nguoi_su_dung",
            id_number="so_giay_to",
            birth_date="nam_sinh",
            address="dia_chi_thuong_tru",
            sex="gioi_tinh",
        ),
        _st(
            "civil_status",
            N_("Civil-status book entries"),
            ("record_key",),  # a birth, a marriage, a death: entries of one person
            record_key="so_dang_ky",
            full_name="ho_ten",
            id_number="so_dinh_danh",
            birth_date="ngay_sinh",
            sex="gioi_tinh",
            address="noi_cu_tru",
        ),
        _st(
            "social_insurance",
            N_("Social-insurance members"),
            record_key="ma_so_bhxh",
            full_name="ho_ten",
            id_number="so_cccd",
            birth_date="ngay_sinh",
            sex="gioi_tinh",
            address="dia_chi",
            phone="so_dien_thoai",
        ),
        _st(
            "health_insurance",
            N_("Health-insurance cards"),
            record_key="ma_the_bhyt",
            full_name="ho_ten",
            id_number="so_cccd",
            birth_date="ngay_sinh",
            sex="gioi_tinh",
            address="dia_chi",
        ),
        _st(
            "tax",
            N_("Personal tax codes"),
            record_key="ma_so_thue",
            full_name="ho_ten",
            id_number="so_giay_to",
            birth_date="ngay_sinh",
            address="dia_chi",
        ),
        _st(
            "bank",
            N_("Bank customers"),
            record_key="ma_khach_hang",
            full_name="ho_ten",
            id_number="so_giay_to",
            birth_date="ngay_sinh",
            sex="gioi_tinh",
            address="dia_chi",
            phone="so_dien_thoai",
        ),
        _st(
            "merit",
            N_("People with meritorious service"),
            record_key="ma_ho_so",
            full_name="ho_ten",
            id_number="so_cccd",
            birth_date="nam_sinh",
            sex="gioi_tinh",
            address="que_quan",
        ),
        _st(
            "civil_servants",
            N_("Cadres and civil servants"),
            record_key="ma_can_bo",
            full_name="ho_ten",
            id_number="so_cccd",
            birth_date="ngay_sinh",
            sex="gioi_tinh",
            address="noi_o_hien_nay",
            phone="so_dien_thoai",
        ),
    )
}


def source_type(code: str) -> SourceType:
    """The source type ``code``; ``linkage.unknown_source_type`` otherwise."""
    try:
        return SOURCE_TYPES[code]
    except KeyError:
        raise ValidationFailed(
            f"unknown source type {code!r}",
            code=LinkageErrorCode.UNKNOWN_SOURCE_TYPE,
            field="source_type",
        ) from None


def _key(column: str) -> str:
    """How a column name is compared: NFC (a header typed on a Mac is often NFD), no
    surrounding white space (non-breaking spaces included), case-insensitive."""
    return unicodedata.normalize("NFC", column).strip().casefold()


def _refuse_repeated(header: list[str], out: Mapping[str, int]) -> None:
    """A column the import reads must be the only one of its name: with two, which one is
    meant cannot be known (``linkage.duplicate_column``, naming the field and the column)."""
    for name, i in out.items():
        if sum(_key(h) == _key(header[i]) for h in header) > 1:
            raise ValidationFailed(
                f"the file has more than one column {header[i]!r} (read for {name});"
                " rename or remove the others",
                code=LinkageErrorCode.DUPLICATE_COLUMN,
                field=name,
                column=header[i],
            )


def resolve_mapping(
    header: list[str], source: SourceType, mapping: Mapping[str, str] | None
) -> dict[str, int]:
    """Our field -> index of the file's column.

    Fields ``mapping`` names must exist (``linkage.missing_column``, naming the column and
    listing the columns found); fields it leaves out fall back to the source type's default
    column, then to a column named like the field, *only if* the file has it.
    """
    index = {h: i for i, h in enumerate(header)}
    folded = {_key(h): i for i, h in enumerate(header)}
    out: dict[str, int] = {}
    for name, column in (mapping or {}).items():
        if name not in FIELDS:
            raise ValidationFailed(
                f"unknown field {name!r} in the mapping",
                code=LinkageErrorCode.UNKNOWN_FIELD,
                field=name,
            )
        if not column:
            continue
        i = index.get(column, folded.get(_key(str(column))))
        if i is None:
            raise ValidationFailed(
                f"the mapping names column {column!r} for {name}, which the file does not have;"
                f" columns found: {', '.join(header)}",
                code=LinkageErrorCode.MISSING_COLUMN,
                field=name,
                column=column,
                found=", ".join(header),
            )
        out[name] = i
    for name, column in source.default_mapping.items():
        if name not in out and (mapping is None or name not in mapping):
            i = index.get(column, folded.get(_key(column)))
            if i is not None:
                out[name] = i
    for name in FIELDS:  # a column already named like our field
        if name not in out and (mapping is None or name not in mapping) and name in index:
            out[name] = index[name]
    _refuse_repeated(header, out)
    missing = REQUIRED_FIELDS - out.keys()
    if missing:
        name = sorted(missing)[0]
        column = (mapping or {}).get(name) or source.default_mapping.get(name, name)
        raise ValidationFailed(
            f"no column for {name} (expected {column!r}); columns found: {', '.join(header)}",
            code=LinkageErrorCode.MISSING_COLUMN,
            field=name,
            column=column,
            found=", ".join(header),
        )
    return out

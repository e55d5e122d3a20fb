"""Vietnamese administrative units: the 2025 two-tier system and the pre-2025 three-tier one.

``units``: the units, looked up by code (data from the ``vietnamadminunits`` package, read
once and cached, offline), and a pre-2025 ward's conversion to the current commune(s).
``addresses``: reading the units out of an address's text (the pre-2025 parser and the
current one). Callers use the names below.
"""

from __future__ import annotations

from dancu.common.adminunits.addresses import (
    LegacyReading,
    convert_legacy_address,
    read_current_address,
    read_legacy_address,
)
from dancu.common.adminunits.units import (
    Commune,
    Conversion,
    LegacyWard,
    Province,
    UnknownUnitError,
    commune,
    communes,
    convert_legacy_ward,
    find_commune,
    format_address,
    legacy_district_count,
    legacy_provinces,
    legacy_ward,
    legacy_ward_count,
    legacy_wards_merged_into,
    preload,
    province,
    provinces,
)

__all__ = [
    "Commune",
    "Conversion",
    "LegacyReading",
    "LegacyWard",
    "Province",
    "UnknownUnitError",
    "commune",
    "communes",
    "convert_legacy_address",
    "convert_legacy_ward",
    "find_commune",
    "format_address",
    "legacy_district_count",
    "legacy_provinces",
    "legacy_ward",
    "legacy_ward_count",
    "legacy_wards_merged_into",
    "preload",
    "province",
    "provinces",
    "read_current_address",
    "read_legacy_address",
]

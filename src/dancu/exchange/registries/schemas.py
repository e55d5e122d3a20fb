"""Shapes of the Digital Registries API, in both spellings.

``camel`` is the published OpenAPI's (``id``, ``firstName``, ``lastName``,
``birthCertificateId``; ``PersonalDataUsage`` with ``readerId``...), ``legacy`` the Gherkin
suite's (``ID``, ``FirstName``...; ``ReaderID``...). A registry record's ``content`` carries
the spec's ``Example`` fields plus the population registry's own (``birthDate``, ``sex``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Spelling = Literal["camel", "legacy"]
REGISTRY = "population"  # the registryName (and databaseId) of the population registry
VERSIONS = ("1.0", "1.3.0")

# our field -> (camelCase name, legacy name)
FIELDS: dict[str, tuple[str, str]] = {
    "pid": ("id", "ID"),
    "given_names": ("firstName", "FirstName"),
    "family_name": ("lastName", "LastName"),
    "birth_certificate": ("birthCertificateId", "BirthCertificateID"),
    "birth_date": ("birthDate", "BirthDate"),
    "sex": ("sex", "Sex"),
    "commune_code": ("communeCode", "CommuneCode"),  # create only: where the person lives
}
BY_NAME = {name: ours for ours, names in FIELDS.items() for name in names}

USAGE_FIELDS: dict[str, tuple[str, str]] = {
    "id": ("id", "ID"),
    "reader_id": ("readerId", "ReaderID"),
    "reader_initials": ("readerInitials", "ReaderInitials"),
    "institution_id": ("readerInstitutionId", "ReaderInstitutionID"),
    "institution_name": ("readerInstitutionName", "ReaderInstitutionName"),
    "application_name": ("readerApplicationName", "ReaderApplicationName"),
    "at": ("searchDateTime", "SearchDateTime"),
    "references": ("refrences", "Refrences"),  # sic: both documents spell it so
    "purpose": ("purpose", "Purpose"),  # ours: why it was read (an extension field)
}

Content = Annotated[dict[str, Any], Field(max_length=20)]


class _Box(BaseModel):
    model_config = ConfigDict(extra="forbid")
    content: Content


class QueryIn(BaseModel):
    """``{"query": {"content": {...}}}`` (read, exists)."""

    query: _Box


class WriteIn(BaseModel):
    """``{"write": {"content": {...}}}`` (create)."""

    write: _Box


class QueryWriteIn(BaseModel):
    """``{"query": {"content": ...}, "write": {"content": ...}}`` (update)."""

    query: _Box | None = None
    write: _Box


def spell(
    values: dict[str, Any], spelling: Spelling, names: dict[str, tuple[str, str]]
) -> dict[str, Any]:
    """Our field names -> the spelling's (absent values left out)."""
    index = 0 if spelling == "camel" else 1
    return {names[k][index]: v for k, v in values.items() if v is not None}

"""The procedure catalogue, loaded from ``data/procedures.yaml`` and validated on load.

A malformed entry (an unknown sector, a component satisfied by an unknown kind of data, a
duplicate code, a fee below zero...) stops the load with ``procedures.catalogue_invalid``
naming the entry: a catalogue that is half right is not served.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from dancu.common.errors import NotFound, ValidationFailed
from dancu.common.textfold import fold
from dancu.procedures.errors import ProcedureErrorCode

DATA = Path(__file__).resolve().parent / "data" / "procedures.yaml"
CODE = re.compile(r"[12]\.\d{6}")
REGISTRY_FACTS = frozenset({"card", "permanent_address", "household", "marital_status", "birth"})
WALLET_TYPES = frozenset(
    {
        "health_insurance_card",
        "driving_licence",
        "vehicle_registration",
        "criminal_record_certificate",
        "ehealth_book_summary",
        "procedure_result",
    }
)
AGENCIES = (
    "commune",
    "justice",
    "police",
    "social_insurance",
    "labour",
    "land",
    "business",
    "construction",
    "transport",
    "health",
    "education",
)
FIELD_TYPES = ("text", "date", "number", "pid", "sex")
Kind = Literal["standard", "birth_bundle", "death_bundle"]


class Component(BaseModel):
    key: str = Field(pattern=r"^[a-z_]{2,40}$")
    name: str = Field(min_length=3)
    required: bool = True
    satisfied_by: str | None = None  # "registry:<fact>", "wallet:<type>", "result:<code>"

    @field_validator("satisfied_by")
    @classmethod
    def _source(cls, value: str | None) -> str | None:
        if value is None or value == "form:online":
            return value
        kind, _, what = value.partition(":")
        ok = (
            (kind == "registry" and what in REGISTRY_FACTS)
            or (kind == "wallet" and what in WALLET_TYPES)
            or (kind == "result" and CODE.fullmatch(what) is not None)
        )
        if not ok:
            raise ValueError(f"unknown source {value!r}")
        return value

    @property
    def source_kind(self) -> str | None:
        return self.satisfied_by.partition(":")[0] if self.satisfied_by else None


class FormField(BaseModel):
    key: str = Field(pattern=r"^[a-z_]{2,40}$")
    label: str = Field(min_length=2)
    type: Literal["text", "date", "number", "pid", "sex"] = "text"
    required: bool = False
    prefill: str | None = Field(default=None, pattern=r"^registry\.[a-z_]+$")


class FeeChoice(BaseModel):
    key: str = Field(pattern=r"^[a-z_]{2,40}$")
    label: str
    amount: int = Field(ge=0)


class Fee(BaseModel):
    amount: int = Field(ge=0, le=100_000_000)
    online_amount: int | None = Field(default=None, ge=0)
    per_copy: int | None = Field(default=None, ge=0)
    note: str = ""
    choices: list[FeeChoice] = []
    reduced: dict[str, int] = {}
    exemptions: list[str] = []


class Step(BaseModel):
    agency: str
    days: int = Field(ge=1, le=90)

    @field_validator("agency")
    @classmethod
    def _agency(cls, value: str) -> str:
        if value not in AGENCIES:
            raise ValueError(f"unknown agency {value!r}")
        return value


class Procedure(BaseModel):
    code: str = Field(pattern=CODE.pattern)
    code_checked: bool = True
    name: str = Field(min_length=5)
    sector: str
    level: Literal["commune", "province"]
    online: Literal["full", "partial"]
    essential: bool = False
    kind: Kind = "standard"
    agency: str = "commune"
    acr: Literal[1, 2] = 1
    days: int = Field(ge=1, le=90)
    fee: Fee
    result: Literal[
        "certificate", "confirmation", "copy", "card", "document", "licence", "decision"
    ]
    result_credential: bool = False
    components: list[Component]
    fields: list[FormField]
    steps: list[Step] = []

    @model_validator(mode="after")
    def _consistent(self) -> Procedure:
        if self.agency not in AGENCIES:
            raise ValueError(f"unknown agency {self.agency!r}")
        if not self.steps:
            self.steps = [Step(agency=self.agency, days=self.days)]
        if sum(s.days for s in self.steps) > self.days:
            raise ValueError("the steps take longer than the procedure's legal time")
        keys = [c.key for c in self.components]
        if len(keys) != len(set(keys)):
            raise ValueError("two components share a key")
        names = [f.key for f in self.fields]
        if len(names) != len(set(names)):
            raise ValueError("two fields share a key")
        if self.kind == "birth_bundle" and [s.agency for s in self.steps][:2] != [
            "justice",
            "police",
        ]:
            raise ValueError("a birth bundle starts with the justice then the police step")
        return self

    @property
    def fee_online(self) -> int:
        return self.fee.online_amount if self.fee.online_amount is not None else self.fee.amount

    def component(self, key: str) -> Component | None:
        return next((c for c in self.components if c.key == key), None)


class Catalogue(BaseModel):
    procedures: list[Procedure]
    sectors: dict[str, str]
    exemptions: dict[str, str]

    @model_validator(mode="after")
    def _references(self) -> Catalogue:
        codes = [p.code for p in self.procedures]
        if len(codes) != len(set(codes)):
            dup = sorted({c for c in codes if codes.count(c) > 1})
            raise ValueError(f"duplicate codes {dup}")
        for p in self.procedures:
            if p.sector not in self.sectors:
                raise ValueError(f"{p.code}: unknown sector {p.sector!r}")
            unknown = [e for e in [*p.fee.exemptions, *p.fee.reduced] if e not in self.exemptions]
            if unknown:
                raise ValueError(f"{p.code}: unknown exemptions {unknown}")
        return self

    def get(self, code: str) -> Procedure | None:
        return next((p for p in self.procedures if p.code == code), None)


def _flatten(items: list[Any]) -> list[Any]:
    """YAML anchors put a shared list of fields inside a list: flatten one level."""
    out: list[Any] = []
    for item in items:
        out.extend(item if isinstance(item, list) else [item])
    return out


def parse(text: str) -> Catalogue:
    """A catalogue from YAML text; refuses it whole when any entry is wrong."""
    try:
        raw = yaml.safe_load(text)
        for entry in raw.get("procedures", []):
            entry["fields"] = _flatten(entry.get("fields", []))
            entry["components"] = _flatten(entry.get("components", []))
        return Catalogue.model_validate(
            {
                "procedures": raw.get("procedures", []),
                "sectors": raw.get("sectors", {}),
                "exemptions": raw.get("exemptions", {}),
            }
        )
    except (yaml.YAMLError, ValidationError, AttributeError, TypeError) as exc:
        raise ValidationFailed(
            f"The procedure catalogue is invalid: {str(exc)[:400]}",
            code=ProcedureErrorCode.CATALOGUE_INVALID,
            field="catalogue",
        ) from exc


@cache
def catalogue() -> Catalogue:
    return parse(DATA.read_text(encoding="utf-8"))


def get(code: str) -> Procedure:
    found = catalogue().get(code)
    if found is None:
        raise NotFound(
            "No procedure with this code",
            code=ProcedureErrorCode.PROCEDURE_NOT_FOUND,
            field="code",
        )
    return found


def search(
    query: str = "",
    *,
    sector: str | None = None,
    level: str | None = None,
    essential: bool | None = None,
) -> list[Procedure]:
    """Procedures whose code, name or sector contain every word of the query, with or
    without diacritics ("dang ky khai sinh" finds "Đăng ký khai sinh")."""
    words = fold(query).split()
    cat = catalogue()
    found = []
    for p in cat.procedures:
        if sector and p.sector != sector:
            continue
        if level and p.level != level:
            continue
        if essential is not None and p.essential != essential:
            continue
        haystack = fold(f"{p.code} {p.name} {cat.sectors.get(p.sector, '')}")
        if all(w in haystack for w in words):
            found.append(p)
    return found

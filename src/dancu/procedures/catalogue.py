"""The procedure catalogue, loaded from ``data/procedures.yaml`` and validated on load.

A malformed entry (an unknown sector, a component satisfied by an unknown kind of data, a
duplicate code, a fee below zero...) stops the load with ``procedures.catalogue_invalid``
naming the entry: a catalogue that is half right is not served.

Every text a page shows is in both languages: the Vietnamese (``name``, ``label``, ``note``)
is the authoritative legal wording, the English (``name_en``, ``label_en``, ``note_en``) is
what English pages show. An entry without its English, or whose English still carries
Vietnamese letters, refuses the load too, naming the entry and the field. Pages ask for a
text in the reader's language with ``name_in(lang)``, ``label_in(lang)``, ``note_in(lang)``,
``Catalogue.sector_names(lang)`` and ``Catalogue.exemption_names(lang)``.
"""

from __future__ import annotations

import re
import unicodedata
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


def _pick(vietnamese: str, english: str, lang: str) -> str:
    """The English text on English pages, the Vietnamese (the legal wording) otherwise."""
    return english if lang == "en" and english else vietnamese


class Term(BaseModel):
    """A sector or an exemption category: its Vietnamese name and its English one."""

    name: str = Field(min_length=2)
    name_en: str = ""

    def name_in(self, lang: str) -> str:
        return _pick(self.name, self.name_en, lang)


class Component(BaseModel):
    key: str = Field(pattern=r"^[a-z_]{2,40}$")
    name: str = Field(min_length=3)
    name_en: str = ""
    required: bool = True
    satisfied_by: str | None = None  # "registry:<fact>", "wallet:<type>", "result:<code>"

    def name_in(self, lang: str) -> str:
        return _pick(self.name, self.name_en, lang)

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
    label_en: str = ""
    type: Literal["text", "date", "number", "pid", "sex"] = "text"
    required: bool = False
    prefill: str | None = Field(default=None, pattern=r"^registry\.[a-z_]+$")

    def label_in(self, lang: str) -> str:
        return _pick(self.label, self.label_en, lang)


class FeeChoice(BaseModel):
    key: str = Field(pattern=r"^[a-z_]{2,40}$")
    label: str
    label_en: str = ""
    amount: int = Field(ge=0)

    def label_in(self, lang: str) -> str:
        return _pick(self.label, self.label_en, lang)


class Fee(BaseModel):
    amount: int = Field(ge=0, le=100_000_000)
    online_amount: int | None = Field(default=None, ge=0)
    per_copy: int | None = Field(default=None, ge=0)
    note: str = ""
    note_en: str = ""
    choices: list[FeeChoice] = []
    reduced: dict[str, int] = {}
    exemptions: list[str] = []

    def note_in(self, lang: str) -> str:
        return _pick(self.note, self.note_en, lang)


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
    name_en: str = ""
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

    def name_in(self, lang: str) -> str:
        return _pick(self.name, self.name_en, lang)

    def field_names(self, lang: str) -> dict[str, str]:
        """What each form field and each upload (``file_<component>``) is called in ``lang``."""
        names = {f.key: f.label_in(lang) for f in self.fields}
        return names | {f"file_{c.key}": c.name_in(lang) for c in self.components}

    def reused_label(self, item: dict[str, Any], lang: str) -> str:
        """A reused field or component of a dossier (``Reused``, stored with its Vietnamese
        label) named in ``lang`` from the catalogue; its stored label if the key is gone."""
        key = str(item.get("key", ""))
        name = self.field_names(lang).get(key if item.get("kind") == "field" else f"file_{key}")
        return name or str(item.get("label", key))


class Catalogue(BaseModel):
    procedures: list[Procedure]
    sectors: dict[str, Term]
    exemptions: dict[str, Term]

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

    def sector_names(self, lang: str) -> dict[str, str]:
        return {key: term.name_in(lang) for key, term in self.sectors.items()}

    def exemption_names(self, lang: str) -> dict[str, str]:
        return {key: term.name_in(lang) for key, term in self.exemptions.items()}

    def procedure_name(self, code: str, lang: str) -> str:
        """A procedure's name in ``lang`` by its code (the code itself once it is gone)."""
        found = self.get(code)
        return found.name_in(lang) if found else code


def _reads_vietnamese(text: str) -> bool:
    """Whether a text carries Vietnamese letters (đ, or a letter with a diacritic)."""
    decomposed = unicodedata.normalize("NFD", text)
    return "đ" in text.lower() or any(unicodedata.combining(ch) for ch in decomposed)


def _english_problem(vietnamese: str, english: str, field: str) -> str | None:
    if not vietnamese:
        return None  # nothing shown, nothing to translate (an empty fee note)
    if not english.strip():
        return f"no English text ({field})"
    if _reads_vietnamese(english):
        return f"{field} is not English: {english!r}"
    return None


Shared = frozenset[tuple[str, str, str, str]]  # (kind, key, Vietnamese, English)


def english_problems(cat: Catalogue, shared: Shared = frozenset()) -> list[str]:
    """Every text of the catalogue a page shows that lacks its English, named by entry and
    field ("1.001193 component birth_certificate: no English text (name_en)"). A component
    or field equal to one of ``shared`` (the YAML defaults, reported once under their own
    name by :func:`defaults_problems`) is not reported again for each procedure using it."""
    problems: list[str] = []

    def check(where: str, vietnamese: str, english: str, field: str) -> None:
        problem = _english_problem(vietnamese, english, field)
        if problem:
            problems.append(f"{where}: {problem}")

    for key, term in cat.sectors.items():
        check(f"sector {key}", term.name, term.name_en, "name_en")
    for key, term in cat.exemptions.items():
        check(f"exemption {key}", term.name, term.name_en, "name_en")
    for p in cat.procedures:
        check(p.code, p.name, p.name_en, "name_en")
        check(f"{p.code} fee", p.fee.note, p.fee.note_en, "note_en")
        for choice in p.fee.choices:
            check(f"{p.code} fee choice {choice.key}", choice.label, choice.label_en, "label_en")
        for c in p.components:
            if ("component", c.key, c.name, c.name_en) not in shared:
                check(f"{p.code} component {c.key}", c.name, c.name_en, "name_en")
        for f in p.fields:
            if ("field", f.key, f.label, f.label_en) not in shared:
                check(f"{p.code} field {f.key}", f.label, f.label_en, "label_en")
    return problems


def defaults_problems(defaults: Any) -> tuple[list[str], Shared]:
    """The shared entries of the YAML's ``defaults`` (``applicant_fields``, the common
    components): their missing English, named ``defaults.<name> <key>``, and the entries."""
    problems: list[str] = []
    shared: set[tuple[str, str, str, str]] = set()
    for name, value in (defaults or {}).items():
        for item in value if isinstance(value, list) else [value]:
            if not isinstance(item, dict):
                continue
            is_field = "label" in item
            kind, text = ("field", "label") if is_field else ("component", "name")
            field = f"{text}_en"
            vietnamese, english = str(item.get(text, "")), str(item.get(field, ""))
            shared.add((kind, str(item.get("key", "")), vietnamese, english))
            problem = _english_problem(vietnamese, english, field)
            if problem:
                problems.append(f"defaults.{name} {item.get('key', '?')}: {problem}")
    return problems, frozenset(shared)


def _flatten(items: list[Any]) -> list[Any]:
    """YAML anchors put a shared list of fields inside a list: flatten one level."""
    out: list[Any] = []
    for item in items:
        out.extend(item if isinstance(item, list) else [item])
    return out


def parse(text: str) -> Catalogue:
    """A catalogue from YAML text; refuses it whole when any entry is wrong, or when a text
    a page shows has no English (the message names each entry and field, the first ten)."""
    try:
        raw = yaml.safe_load(text)
        for entry in raw.get("procedures", []):
            entry["fields"] = _flatten(entry.get("fields", []))
            entry["components"] = _flatten(entry.get("components", []))
        problems, shared = defaults_problems(raw.get("defaults"))
        cat = Catalogue.model_validate(
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
    problems += english_problems(cat, shared)
    if problems:
        more = f"; and {len(problems) - 10} more" if len(problems) > 10 else ""
        raise ValidationFailed(
            f"The procedure catalogue lacks English: {'; '.join(problems[:10])}{more}",
            code=ProcedureErrorCode.CATALOGUE_INVALID,
            field="catalogue",
        )
    return cat


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
    without diacritics ("dang ky khai sinh" finds "Đăng ký khai sinh"), in Vietnamese or in
    English ("birth registration" finds it too)."""
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
        sector_term = cat.sectors.get(p.sector)
        sector_words = f"{sector_term.name} {sector_term.name_en}" if sector_term else ""
        haystack = fold(f"{p.code} {p.name} {p.name_en} {sector_words}")
        if all(w in haystack for w in words):
            found.append(p)
    return found

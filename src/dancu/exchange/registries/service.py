"""Digital Registries operations over the population registry, for a partner at the door.

The route runs each request through the exchange door (``door.serve``): the partner's
credential, the purpose (``X-Purpose``, or the partner's only one), the rate limit, the
message log. The exchange reads the registry (audited as ``system:exchange``) and releases
only the fields the purpose grants (``released``): ``id`` (``pid``), ``firstName`` and
``lastName`` (``full_name``), ``birthDate``, ``sex``; each released record is audited under
the partner's name with exactly those fields.

Changes: ``create`` enters a person through ``registry.service.add_citizen`` and so needs
the ``registry.import`` permission, which no partner role carries; the population registry
is not updated through this door (civil-status events change it, through their
procedures), so ``update`` answers ``registries.not_allowed``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from dancu.common import audit
from dancu.common.access import Actor, Permission
from dancu.common.errors import DancuError, Forbidden, NotFound, ValidationFailed
from dancu.exchange.errors import ExchangeErrorCode as Code
from dancu.exchange.hygiene import accesses
from dancu.exchange.partners.schemas import PartnerContext
from dancu.exchange.reader import EXCHANGE_ACTOR
from dancu.exchange.registries.schemas import BY_NAME, FIELDS, REGISTRY, VERSIONS, Spelling, spell
from dancu.registry import service as registry
from dancu.registry.schemas import CitizenIn, CitizenOut, CitizenSummary

MAX_PAGE_SIZE = 100


class BadRequest(DancuError):
    """What the building block answers 400 to (an invalid ID, an unknown database)."""

    status_code = 400


def check_registry(name: str, version: str) -> None:
    if name != REGISTRY or version not in VERSIONS:
        raise NotFound(
            f"No registry {name!r} version {version!r} (serving {REGISTRY} {VERSIONS})",
            code=Code.REGISTRIES_UNKNOWN_REGISTRY,
            field="registryName",
        )


def purpose_of(actor: Actor, named: str | None) -> str:
    """The named purpose, or the partner's only one ("" when it must name one)."""
    if named:
        return named
    if actor.purposes is not None and len(actor.purposes) == 1:
        return next(iter(actor.purposes))
    return ""


def ours(content: dict[str, Any]) -> dict[str, Any]:
    """A query or write content in either spelling -> our field names."""
    unknown = sorted(k for k in content if k not in BY_NAME)
    if unknown:
        raise ValidationFailed(
            f"Unknown field {unknown[0]!r}; known: {', '.join(sorted(BY_NAME))}",
            code=Code.REGISTRIES_BAD_QUERY,
            field=unknown[0],
        )
    return {BY_NAME[k]: v for k, v in content.items()}


RECORD_FIELDS = frozenset({"pid", "full_name", "birth_date", "sex"})  # what a record can carry


def released(ctx: PartnerContext) -> frozenset[str]:
    """The record fields this request may receive (no consent-only field here)."""
    return ctx.asked & ctx.fields & RECORD_FIELDS


def record(
    citizen: CitizenOut | CitizenSummary,
    spelling: Spelling,
    fields: frozenset[str],
    *,
    echo_id: bool = False,
) -> dict[str, Any]:
    """A citizen as a registry record, with only ``fields`` (exchange field names). ``id``
    is the ID number when granted, or the one the partner sent (``echo_id``). The registry
    holds no birth-certificate number: the camelCase record leaves it out (optional in the
    spec); the legacy one, whose schema in the Gherkin suite requires it, carries ""."""
    family, _, given = citizen.full_name.partition(" ")
    values: dict[str, Any] = {}
    if "pid" in fields or echo_id:
        values["pid"] = citizen.pid
    if "full_name" in fields:
        values.update(given_names=given, family_name=family)
    if "birth_date" in fields:
        values["birth_date"] = citizen.birth_date.isoformat()
    if "sex" in fields:
        values["sex"] = citizen.sex
    if spelling == "legacy":
        values.setdefault("pid", "")
        values.setdefault("given_names", "")
        values.setdefault("family_name", "")
        values["birth_certificate"] = ""
    return spell(values, spelling, FIELDS)


def _released(
    session: Session,
    ctx: PartnerContext,
    citizens: Sequence[CitizenOut | CitizenSummary],
    fields: frozenset[str],
) -> None:
    """What a request released about these citizens: the audit entries, and one partner
    access per citizen for the review of their area (``exchange_access``)."""
    audit.record_many(
        session,
        ctx.actor,
        action="registries.read",
        subject_type="citizen",
        subject_ids=[c.pid for c in citizens],
        purpose=ctx.purpose,
        fields=sorted(fields) or ("exists",),
    )
    subjects = [accesses.subject_in(c.pid, c.commune_code) for c in citizens]
    accesses.record(session, ctx.partner_id, ctx.purpose, "registries", subjects)


def _pid(query: dict[str, Any]) -> str | None:
    value = query.get("pid")
    if value is None:
        return None
    if not isinstance(value, str) or not value.isdigit() or len(value) != 12:
        raise ValidationFailed(
            "id must be a 12-digit ID number", code=Code.REGISTRIES_BAD_QUERY, field="id"
        )
    return value


def _citizen(session: Session, pid: str, ctx: PartnerContext) -> CitizenOut:
    return registry.read_for_release(session, pid, actor=EXCHANGE_ACTOR, purpose=ctx.purpose)


def read(
    session: Session, content: dict[str, Any], *, ctx: PartnerContext, spelling: Spelling
) -> dict[str, Any]:
    """One record by its ``id``; ``NotFound`` (the spec's 404) otherwise."""
    pid = _pid(ours(content))
    if pid is None:
        raise ValidationFailed("read needs the id", code=Code.REGISTRIES_BAD_QUERY, field="id")
    citizen = _citizen(session, pid, ctx)
    fields = released(ctx)
    _released(session, ctx, [citizen], fields)
    return record(citizen, spelling, fields, echo_id=True)


def exists(session: Session, content: dict[str, Any], *, ctx: PartnerContext) -> dict[str, Any]:
    """Whether a record matches: by ``id``, or by names and birth date."""
    query = ours(content)
    pid = _pid(query)
    found = _exists_by_pid(session, pid, ctx) if pid else _exists_by_fields(session, query, ctx)
    if found:
        _released(session, ctx, found, frozenset())
    message = "Object found from database" if found else "Object not found from database"
    return {"answer": {"status": bool(found), "message": message}}


def _exists_by_pid(
    session: Session, pid: str, ctx: PartnerContext
) -> list[CitizenOut | CitizenSummary]:
    try:
        return [_citizen(session, pid, ctx)]
    except NotFound:
        return []


def _exists_by_fields(
    session: Session, query: dict[str, Any], ctx: PartnerContext
) -> list[CitizenOut | CitizenSummary]:
    name = " ".join(str(query.get(k) or "") for k in ("family_name", "given_names")).strip()
    birth = _date(query.get("birth_date"))
    if not name and birth is None:
        raise ValidationFailed(
            "exists needs the id, or names and a birth date",
            code=Code.REGISTRIES_BAD_QUERY,
            field="id",
        )
    page = registry.search(
        session,
        actor=EXCHANGE_ACTOR,
        purpose=ctx.purpose,
        name=name or None,
        birth_date=birth,
        per_page=1,
    )
    return list(page.items)


def _date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ValidationFailed(
            "birthDate must be YYYY-MM-DD", code=Code.REGISTRIES_BAD_QUERY, field="birthDate"
        ) from exc


def list_records(
    session: Session,
    *,
    ctx: PartnerContext,
    spelling: Spelling,
    search: str | None,
    fields: dict[str, str],
    page: int,
    page_size: int,
    ordering: str | None = None,
) -> dict[str, Any]:
    """``count`` and one page of ``results``; ``search`` looks in names, ``query.<field>``
    narrows by a field (names, ``birthDate``)."""
    query = ours(fields)
    name = " ".join(
        str(v) for v in (search, query.get("family_name"), query.get("given_names")) if v
    )
    found = registry.search(
        session,
        actor=EXCHANGE_ACTOR,
        purpose=ctx.purpose,
        name=name or None,
        birth_date=_date(query.get("birth_date")),
        page=page,
        per_page=min(page_size, MAX_PAGE_SIZE),
    )
    granted = released(ctx)
    results = [record(c, spelling, granted) for c in found.items]
    _released(session, ctx, list(found.items), granted)
    if ordering == "descending":
        results.reverse()
    has_next = page * found.per_page < found.total
    return {"count": found.total, "results": results, "has_next": has_next}


def create(
    session: Session, content: dict[str, Any], *, actor: Actor, spelling: Spelling
) -> dict[str, Any]:
    """Enter a person (``registry.import`` permission); the record as stored."""
    actor.require(Permission.REGISTRY_IMPORT)
    values = ours(content)
    family, given = values.get("family_name") or "", values.get("given_names") or ""
    try:
        data = CitizenIn.model_validate(
            {
                "pid": values.get("pid"),
                "full_name": f"{family} {given}".strip(),
                "birth_date": values.get("birth_date"),
                "sex": values.get("sex"),
                "commune_code": values.get("commune_code"),
            }
        )
    except ValidationError as exc:
        field = str(exc.errors()[0]["loc"][0])
        raise ValidationFailed(
            str(exc.errors()[0]["msg"]), code=Code.REGISTRIES_BAD_QUERY, field=field
        ) from exc
    citizen = registry.add_citizen(session, data, actor=actor)
    return {"content": record(CitizenSummary.model_validate(citizen), spelling, RECORD_FIELDS)}


def update(*, actor: Actor) -> None:
    """The population registry changes only through civil-status procedures."""
    raise Forbidden(
        f"{actor.name} may not update the population registry through this door; "
        "changes are civil-status events registered through their procedures",
        code=Code.REGISTRIES_NOT_ALLOWED,
    )


def read_value(session: Session, pid: str, field: str, ext: str, *, ctx: PartnerContext) -> str:
    """One field of one record (either spelling), as a string; only ``json`` is served."""
    if ext != "json" or field not in BY_NAME or BY_NAME[field] == "commune_code":
        raise ValidationFailed(
            f"Serving the fields {', '.join(sorted(BY_NAME))} as .json",
            code=Code.REGISTRIES_BAD_QUERY,
            field="field" if ext == "json" else "ext",
        )
    spelling: Spelling = "legacy" if field[:1].isupper() else "camel"
    key = "id" if spelling == "camel" else "ID"
    values = read(session, {key: pid}, ctx=ctx, spelling=spelling)
    return str(values.get(field, ""))

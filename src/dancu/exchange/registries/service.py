"""Digital Registries operations over the population registry, as the partner itself.

Reads go through the registry's own services under the partner's actor: its roles, units
and purposes bound what it sees, and every record read is audited under its name. A
partner names its purpose with ``X-Purpose`` (or ``purpose``); one bound to a single
purpose may leave it out. Records carry only the fields of ``schemas.FIELDS`` (no address,
no family, no card: those have their own services).

Changes: ``create`` enters a person through ``registry.service.add_citizen`` and so needs
the ``registry.import`` permission, which no partner role carries today; the population
registry is not updated through this door (civil-status events change it, through their
procedures), so ``update`` answers ``registries.not_allowed``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from dancu.common.access import Actor, Permission
from dancu.common.errors import DancuError, Forbidden, NotFound, ValidationFailed
from dancu.exchange.errors import ExchangeErrorCode as Code
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


def purpose_of(actor: Actor, named: str | None) -> str | None:
    """The named purpose, or the partner's only one."""
    if named:
        return named
    if actor.purposes is not None and len(actor.purposes) == 1:
        return next(iter(actor.purposes))
    return None


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


def record(
    citizen: CitizenOut | CitizenSummary, spelling: Spelling, *, legacy_required: bool = True
) -> dict[str, Any]:
    """A citizen as a registry record. The registry holds no birth-certificate number: the
    camelCase record leaves it out (optional in the spec); the legacy one, whose schema in
    the Gherkin suite requires it, carries an empty string."""
    family, _, given = citizen.full_name.partition(" ")
    values: dict[str, Any] = {
        "pid": citizen.pid,
        "given_names": given,
        "family_name": family,
        "birth_date": citizen.birth_date.isoformat(),
        "sex": citizen.sex,
    }
    if spelling == "legacy" and legacy_required:
        values["birth_certificate"] = ""
    return spell(values, spelling, FIELDS)


def _pid(query: dict[str, Any]) -> str | None:
    value = query.get("pid")
    if value is None:
        return None
    if not isinstance(value, str) or not value.isdigit() or len(value) != 12:
        raise ValidationFailed(
            "id must be a 12-digit ID number", code=Code.REGISTRIES_BAD_QUERY, field="id"
        )
    return value


def read(
    session: Session,
    content: dict[str, Any],
    *,
    actor: Actor,
    purpose: str | None,
    spelling: Spelling,
) -> dict[str, Any]:
    """One record by its ``id``; ``NotFound`` (the spec's 404) otherwise."""
    pid = _pid(ours(content))
    if pid is None:
        raise ValidationFailed("read needs the id", code=Code.REGISTRIES_BAD_QUERY, field="id")
    citizen = registry.get_citizen(session, pid, actor=actor, purpose=purpose_of(actor, purpose))
    return record(citizen, spelling)


def exists(
    session: Session, content: dict[str, Any], *, actor: Actor, purpose: str | None
) -> dict[str, Any]:
    """Whether a record matches: by ``id``, or by names and birth date (each listed citizen
    audited, as any search)."""
    query = ours(content)
    pid = _pid(query)
    found = (
        _exists_by_pid(session, pid, actor, purpose)
        if pid
        else _exists_by_fields(session, query, actor, purpose)
    )
    message = "Object found from database" if found else "Object not found from database"
    return {"answer": {"status": found, "message": message}}


def _exists_by_pid(session: Session, pid: str, actor: Actor, purpose: str | None) -> bool:
    try:
        citizen = registry.get_citizen(
            session, pid, actor=actor, purpose=purpose_of(actor, purpose)
        )
    except NotFound:
        return False
    return citizen.pid == pid


def _exists_by_fields(
    session: Session, query: dict[str, Any], actor: Actor, purpose: str | None
) -> bool:
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
        actor=actor,
        purpose=purpose_of(actor, purpose),
        name=name or None,
        birth_date=birth,
        per_page=1,
    )
    return page.total > 0


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
    actor: Actor,
    purpose: str | None,
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
        actor=actor,
        purpose=purpose_of(actor, purpose),
        name=name or None,
        birth_date=_date(query.get("birth_date")),
        page=page,
        per_page=min(page_size, MAX_PAGE_SIZE),
    )
    results = [record(c, spelling) for c in found.items]
    if ordering == "descending":
        results.reverse()
    return {
        "count": found.total,
        "results": results,
        "has_next": page * found.per_page < found.total,
    }


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
    return {"content": record(CitizenSummary.model_validate(citizen), spelling)}


def update(*, actor: Actor) -> None:
    """The population registry changes only through civil-status procedures."""
    raise Forbidden(
        f"{actor.name} may not update the population registry through this door; "
        "changes are civil-status events registered through their procedures",
        code=Code.REGISTRIES_NOT_ALLOWED,
    )


def read_value(
    session: Session, pid: str, field: str, ext: str, *, actor: Actor, purpose: str | None
) -> str:
    """One field of one record (either spelling), as a string; only ``json`` is served."""
    if ext != "json" or field not in BY_NAME or BY_NAME[field] == "commune_code":
        raise ValidationFailed(
            f"Serving the fields {', '.join(sorted(BY_NAME))} as .json",
            code=Code.REGISTRIES_BAD_QUERY,
            field="field" if ext == "json" else "ext",
        )
    spelling: Spelling = "legacy" if field[:1].isupper() else "camel"
    values = read(
        session,
        {"id" if spelling == "camel" else "ID": pid},
        actor=actor,
        purpose=purpose,
        spelling=spelling,
    )
    return str(values.get(field, ""))

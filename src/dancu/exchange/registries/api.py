"""Digital Registries routes (``/api/govstack`` + the building block's paths) and the
X-Road-style metaservices (``/api/exchange/metaservices``).

Both spellings are served: the published OpenAPI's camelCase paths and fields, and the
Gherkin suite's older ones (``update-entries``, ``read-value``,
``/data/MyPersonalDataUsage/1.0?userID=&DatabaseID=``, ``ID``/``FirstName`` fields). On a
path both share, the request's own field names choose the answer's spelling. Every call
names its X-Road client in ``Information-Mediator-Client`` (INSTANCE/CLASS/MEMBER/SUBSYSTEM).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse

from dancu.common.bounds import Code, PageNo, SearchName, Text
from dancu.exchange import door
from dancu.exchange.errors import ExchangeErrorCode
from dancu.exchange.registries import metaservices, service, usage
from dancu.exchange.registries.schemas import QueryIn, QueryWriteIn, Spelling, WriteIn
from dancu.exchange.registries.service import BadRequest
from dancu.web.deps import CurrentActor, DbSession

# The spec reads with POST (read, exists): the read scope covers every method of ``router``.
# The building block answers 400 to a request it cannot serve (no X-Road client named, an
# invalid ID, an unknown database): declared on every route of the door.
_BAD_REQUEST: dict[int | str, dict[str, Any]] = {
    400: {
        "description": "Bad request: the error names the field and the rule",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
}
router = APIRouter(prefix="/api/govstack", tags=["govstack"], responses=_BAD_REQUEST)
write_router = APIRouter(prefix="/api/govstack", tags=["govstack"], responses=_BAD_REQUEST)
meta_router = APIRouter(prefix="/api/exchange/metaservices", tags=["exchange"])

_MEDIATOR = re.compile(r"^[^/\s]{1,64}(/[^/\s]{1,64}){3}$")
Mediator = Annotated[Text | None, Header(alias="Information-Mediator-Client")]
Purpose = Annotated[Code | None, Header(alias="X-Purpose")]
PurposeQuery = Annotated[Code | None, Query(alias="purpose")]
Registry = Annotated[Code, "registryName"]
NOT_FOUND = {"detail": "no record found"}
_NO_RECORD = {"citizen.not_found"}


def _client(header: str | None) -> str:
    if not header or not _MEDIATOR.match(header):
        raise BadRequest(
            "Name the X-Road client: Information-Mediator-Client: INSTANCE/CLASS/MEMBER/SUBSYSTEM",
            code=ExchangeErrorCode.REGISTRIES_MEDIATOR_CLIENT,
            field="Information-Mediator-Client",
        )
    return header


def _spelling(content: dict[str, Any]) -> Spelling:
    return "legacy" if any(k[:1].isupper() for k in content) else "camel"


def _door(
    db: Any, actor: Any, request: Request, purpose: str | None, work: Any, body: Any = None
) -> door.Answer:
    """The request through the exchange door: credential, purpose, rate limit, message log.
    The answer's fields are released by the service (``service.released``), inside the
    spec's shapes."""
    raw = body.model_dump_json().encode() if body is not None else b""
    return door.serve(
        db,
        actor,
        door.Call(request.method, request.url.path, raw),
        purpose=service.purpose_of(actor, purpose),
        fields=None,
        work=work,
        personal=False,
    )


def _answer(answer: door.Answer, unwrap: str | None = None) -> Any:
    """The spec's answer: the work's body (``unwrap``: its one item), or the refusal."""
    if answer.status == 404 and answer.body.get("code") in _NO_RECORD:
        return JSONResponse(NOT_FOUND, status_code=404, headers=answer.headers)
    if answer.status != 200:
        return JSONResponse(answer.body, status_code=answer.status, headers=answer.headers)
    # The spec's shapes exactly: the request id travels in the X-Request-Id header.
    body = answer.body[unwrap] if unwrap else _without_id(answer.body)
    return JSONResponse(body, headers=answer.headers)


def _without_id(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "request_id"}


# -- my personal data usage (declared first: /data/MyPersonalDataUsage/1.0 has two segments)


@router.get("/data/myPersonalDataUsage")
@router.get("/data/mypersonalDataUsage")  # the JSON twin of the published document spells it so
def my_personal_data_usage(
    db: DbSession,
    actor: CurrentActor,
    userId: Annotated[Code, Query()],
    databaseId: Annotated[Code, Query()],
    mediator: Mediator = None,
) -> list[dict[str, Any]]:
    """Who has read the user's personal data (the audit trail)."""
    _client(mediator)
    return usage.personal_data_usage(db, userId, databaseId, actor=actor, spelling="camel")


@router.get("/data/MyPersonalDataUsage/{version}")
def my_personal_data_usage_legacy(
    version: Code,
    db: DbSession,
    actor: CurrentActor,
    userID: Annotated[Code, Query()],
    DatabaseID: Annotated[Code, Query()],
    mediator: Mediator = None,
) -> list[dict[str, Any]]:
    """The Gherkin suite's spelling of ``myPersonalDataUsage``."""
    _client(mediator)
    return usage.personal_data_usage(db, userID, DatabaseID, actor=actor, spelling="legacy")


# -- the registry's data


@router.get("/data/{registryName}/{versionNumber}")
def list_records(
    registryName: Registry,
    versionNumber: Code,
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    search: SearchName | None = None,
    filter: Code | None = None,
    ordering: Code | None = None,
    page: PageNo = 1,
    pageSize: Annotated[int, Query(ge=1, le=service.MAX_PAGE_SIZE)] = 10,
    mediator: Mediator = None,
    x_purpose: Purpose = None,
    purpose: PurposeQuery = None,
) -> JSONResponse:
    """Records matching ``search`` (names) and ``query.<field>`` values, a page at a time."""
    _client(mediator)
    service.check_registry(registryName, versionNumber)
    fields = {
        k.removeprefix("query."): v[:200]
        for k, v in request.query_params.items()
        if k.startswith("query.")
    }
    answer = _door(
        db,
        actor,
        request,
        x_purpose or purpose,
        lambda ctx: service.list_records(
            db,
            ctx=ctx,
            spelling=_spelling(fields),
            search=search,
            fields=fields,
            page=page,
            page_size=pageSize,
            ordering=ordering,
        ),
    )
    if answer.status != 200:
        return _answer(answer)
    found = answer.body
    out: dict[str, Any] = {"count": found["count"], "results": found["results"]}
    if found["has_next"]:
        out["next"] = str(request.url.include_query_params(page=page + 1))
    if page > 1:
        out["previous"] = str(request.url.include_query_params(page=page - 1))
    return JSONResponse(out, headers=answer.headers)


@router.post("/data/{registryName}/{versionNumber}/read", response_model=None)
def read(
    registryName: Registry,
    versionNumber: Code,
    body: QueryIn,
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    mediator: Mediator = None,
    x_purpose: Purpose = None,
) -> JSONResponse:
    """One record; 404 ``{"detail": "no record found"}`` as the spec writes it."""
    _client(mediator)
    service.check_registry(registryName, versionNumber)
    content = body.query.content
    answer = _door(
        db,
        actor,
        request,
        x_purpose,
        lambda ctx: {"content": service.read(db, content, ctx=ctx, spelling=_spelling(content))},
        body,
    )
    return _answer(answer)


@router.post("/data/{registryName}/{versionNumber}/exists")
def exists(
    registryName: Registry,
    versionNumber: Code,
    body: QueryIn,
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    mediator: Mediator = None,
    x_purpose: Purpose = None,
) -> JSONResponse:
    """``{"answer": {"status": true|false, "message": ...}}``."""
    _client(mediator)
    service.check_registry(registryName, versionNumber)
    content = body.query.content
    return _answer(
        _door(db, actor, request, x_purpose, lambda ctx: service.exists(db, content, ctx=ctx), body)
    )


@write_router.post("/data/{registryName}/{versionNumber}/create")
def create(
    registryName: Registry,
    versionNumber: Code,
    body: WriteIn,
    db: DbSession,
    actor: CurrentActor,
    mediator: Mediator = None,
) -> dict[str, Any]:
    """Enter a person (only for a client whose role may import into the registry)."""
    _client(mediator)
    service.check_registry(registryName, versionNumber)
    content = body.write.content
    return service.create(db, content, actor=actor, spelling=_spelling(content))


def refuse_update(
    registryName: Registry,
    versionNumber: Code,
    body: QueryWriteIn,
    actor: CurrentActor,
    mediator: Mediator = None,
) -> None:
    """Refused: the population registry changes through civil-status procedures."""
    _refuse_update(registryName, versionNumber, mediator, actor)


def _refuse_update(registry: str, version: str, mediator: str | None, actor: Any) -> None:
    _client(mediator)
    service.check_registry(registry, version)
    service.update(actor=actor)


# The spec's writes, each refused alike; its camelCase path and the Gherkin suite's spelling
# are two routes (two operation ids, from the name and the path) of the one handler.
_REFUSED_WRITES = (
    (
        "PUT",
        "update",
        "update",
        "Refused: the population registry changes through civil-status procedures.",
    ),
    ("PUT", "update-entries", "update_entries", "Refused, as ``update``."),
    ("PUT", "updateEntries", "update_entries", "Refused, as ``update``."),
    ("POST", "update-or-create", "update_or_create", "Refused, as ``update``."),
    ("POST", "updateOrCreate", "update_or_create", "Refused, as ``update``."),
)
for _method, _path, _name, _description in _REFUSED_WRITES:
    write_router.add_api_route(
        f"/data/{{registryName}}/{{versionNumber}}/{_path}",
        refuse_update,
        methods=[_method],
        name=_name,
        description=_description,
    )


@write_router.delete("/data/{registryName}/{versionNumber}/{ID}/delete")
def delete(
    registryName: Registry,
    versionNumber: Code,
    ID: Code,
    actor: CurrentActor,
    mediator: Mediator = None,
) -> None:
    """Refused: nobody deletes a person from the population registry."""
    _refuse_update(registryName, versionNumber, mediator, actor)


@router.get("/data/{registryName}/{versionNumber}/{uuid}/readValue/{field}.{ext}")
@router.get("/data/{registryName}/{versionNumber}/{uuid}/read-value/{field}.{ext}")
def read_value(
    registryName: Registry,
    versionNumber: Code,
    uuid: Code,
    field: Code,
    ext: Code,
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    mediator: Mediator = None,
    x_purpose: Purpose = None,
) -> JSONResponse:
    """One field of one record, as a JSON string (``ext``: json)."""
    _client(mediator)
    service.check_registry(registryName, versionNumber)
    answer = _door(
        db,
        actor,
        request,
        x_purpose,
        lambda ctx: {"value": service.read_value(db, uuid, field, ext, ctx=ctx)},
    )
    return _answer(answer, unwrap="value")  # type: ignore[no-any-return]


# -- metaservices


@meta_router.get("/listClients")
def list_clients(db: DbSession, actor: CurrentActor) -> dict[str, Any]:
    """The exchange's partner clients (X-Road ``listClients``)."""
    return metaservices.list_clients(db)


@meta_router.get("/listMethods")
def list_methods(actor: CurrentActor) -> dict[str, Any]:
    """The exchange's services (X-Road ``listMethods``)."""
    return metaservices.list_methods()


@meta_router.get("/allowedMethods")
def allowed_methods(actor: CurrentActor) -> dict[str, Any]:
    """The services this caller may use (X-Road ``allowedMethods``)."""
    return metaservices.allowed_methods(actor)


@meta_router.get("/getOpenAPI")
def get_openapi(request: Request, actor: CurrentActor, serviceCode: Code) -> dict[str, Any]:
    """One service's OpenAPI document (X-Road ``getOpenAPI?serviceCode=``)."""
    return metaservices.openapi_of(request.app.openapi(), serviceCode)

"""The registration page: the forms this officer may fill, a birth straight away, the
others opened for a citizen by ID number (or found by name through the search)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dancu.common.access import Actor, Permission
from dancu.common.bounds import Code
from dancu.common.errors import ErrorCode, ValidationFailed
from dancu.common.i18n import N_
from dancu.registry import service
from dancu.registry import validation as rules
from dancu.registry.pages import common
from dancu.web.deps import CurrentActor

router = APIRouter()


@dataclass(frozen=True, slots=True)
class Event:
    path: str  # after /registry/citizens/{pid}/
    title: str  # English, translated where shown
    permission: Permission


EVENTS = (
    Event("death", N_("Register a death"), Permission.CIVIL_STATUS_RECORD),
    Event("marriage", N_("Register a marriage"), Permission.CIVIL_STATUS_RECORD),
    Event("divorce", N_("Record a divorce"), Permission.CIVIL_STATUS_RECORD),
    Event("residence", N_("Change of permanent residence"), Permission.CIVIL_STATUS_RECORD),
    Event("card", N_("ID-card application"), Permission.CARD_MANAGE),
)


def may_register(actor: Actor) -> bool:
    """Whether the registration page has anything for this actor (the navigation's test)."""
    return any(actor.can(e.permission) for e in EVENTS)


def events_for(actor: Actor) -> list[Event]:
    return [e for e in EVENTS if actor.can(e.permission)]


def _require(actor: Actor) -> None:
    if not may_register(actor):
        actor.require(Permission.CIVIL_STATUS_RECORD)  # raises, naming the permission


@router.get("/events", response_class=HTMLResponse)
def events_page(
    request: Request, actor: CurrentActor, pid: Code = "", done: Code = "", to: Code = ""
) -> HTMLResponse:
    """The registrations; after a move out of the officer's area, it says where to."""
    _require(actor)
    moved_to = service.commune_name(to) if done == "moved_out" else ""
    return _hub(request, actor, {"pid": pid, "event": ""}, moved_to=moved_to)


def _hub(
    request: Request,
    actor: Actor,
    form: dict[str, str],
    error: ValidationFailed | None = None,
    moved_to: str = "",
) -> HTMLResponse:
    context = {
        "moved_to": moved_to,
        "form": form,
        "events": events_for(actor),
        "can_birth": actor.can(Permission.CIVIL_STATUS_RECORD),
        "can_search": actor.can(Permission.CITIZEN_SEARCH),
    }
    return common.show(request, "registry/events.html", context, error)


@router.get("/events/open", response_model=None)
def open_event(request: Request, actor: CurrentActor, pid: Code = "", event: Code = "") -> Response:
    """The chosen form for the citizen with this ID number."""
    _require(actor)
    chosen = {e.path: e for e in events_for(actor)}.get(event)
    try:
        clean = rules.valid_pid(common.required(pid, "pid", "Enter the ID number"))
        if chosen is None:
            raise ValidationFailed(
                "Choose what to register", code=ErrorCode.FORM_REQUIRED, field="event"
            )
    except ValidationFailed as exc:
        return _hub(request, actor, {"pid": pid, "event": event}, exc)
    return RedirectResponse(f"/registry/citizens/{clean}/{chosen.path}", status_code=303)

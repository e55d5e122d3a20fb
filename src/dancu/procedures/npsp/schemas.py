"""The shapes the National Public Service Portal sends and receives (JSON)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, Field, StringConstraints

from dancu.common.bounds import Code, Text

PortalId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,64}$")]
Pid = Annotated[str, StringConstraints(pattern=r"^\d{12}$")]
MAX_FILE_BASE64 = 8 * 1024 * 1024  # the procedures' own size limit applies after decoding


class PortalApplicant(BaseModel):
    pid: Pid
    full_name: Annotated[Text, StringConstraints(min_length=1, max_length=120)]


class PortalFile(BaseModel):
    component: Code
    file_name: Annotated[Text, StringConstraints(min_length=1, max_length=200)]
    content_base64: Annotated[str, StringConstraints(max_length=MAX_FILE_BASE64)]


class PortalDossierIn(BaseModel):
    """A dossier submitted on the portal: its id there is the key that makes it one dossier."""

    portal_dossier_id: PortalId
    procedure_code: Code
    applicant: PortalApplicant
    form: dict[Code, Text] = Field(default_factory=dict, max_length=100)
    files: list[PortalFile] = Field(default_factory=list, max_length=20)
    delivery: Literal["wallet", "post", "counter"] = "wallet"
    submitted_at: AwareDatetime


class ReceivedOut(BaseModel):
    """The answer to the portal: our dossier code, and whether this call created it."""

    portal_dossier_id: str
    dossier_code: str
    created: bool


class StatusOut(BaseModel):
    """One status change as published to the portal (one JSON object, or one JSON line)."""

    event_key: str
    dossier_code: str
    portal_dossier_id: str | None = None
    status: str
    previous: str | None = None
    procedure_code: str | None = None
    due_on: str | None = None
    changed_at: datetime

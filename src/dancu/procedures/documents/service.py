"""A dossier's papers from the dossier itself: its slips, and its signed result.

``issue_result`` is the outbox handler of ``procedures.result_ready`` (the last step was
approved): it composes the result PDF from the dossier, signs it with the key of the
issuing People's Committee (``authority``), keeps it content-addressed beside the dossier's
files (``procedures.files``), notes its hash in the dossier's result, and, when the result
type is a credential and returns to the wallet, issues the citizen an SD-JWT VC of type
``procedure_result`` through the wallet's service. Run twice for one dossier, it does
nothing the second time.

``slip`` makes the Circular 01/2018 slips of a dossier for an officer of its units, and
``citizen_paper`` the receipt and the signed result for the citizen who owns it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy.orm import Session

from dancu.common import adminunits
from dancu.common.access import Actor
from dancu.common.errors import DancuError, NotFound, ValidationFailed
from dancu.db import utcnow
from dancu.identity.wallet import service as wallet
from dancu.procedures import catalogue, console, files
from dancu.procedures import repository as repo
from dancu.procedures import service as dossiers
from dancu.procedures.catalogue import Procedure
from dancu.procedures.documents import authority, signing, slips
from dancu.procedures.errors import ProcedureErrorCode
from dancu.procedures.files import Upload
from dancu.procedures.models import Dossier
from dancu.procedures.prefill import PROCEDURES_ACTOR, Applicant

SLIP_KINDS = ("receipt", "supplement", "refusal", "apology", "control")
RESULT_TITLES = {
    "certificate": "Giấy chứng nhận",
    "confirmation": "Văn bản xác nhận",
    "copy": "Bản sao",
    "card": "Thẻ",
    "document": "Giấy tờ",
    "licence": "Giấy phép",
    "decision": "Quyết định",
}
ONLINE_DESK = "Hệ thống giải quyết thủ tục hành chính (tiếp nhận trực tuyến)"
DELIVERY_VI = {
    "wallet": "Nhận trực tuyến vào ví giấy tờ",
    "post": "Nhận qua dịch vụ bưu chính công ích",
    "counter": "Nhận trực tiếp tại Bộ phận Một cửa",
}


@dataclass(frozen=True, slots=True)
class Paper:
    """A PDF to hand out, and the name to save it under."""

    data: bytes
    file_name: str


def issue_result(session: Session, payload: dict[str, Any]) -> str | None:
    """Sign and keep the result of an approved dossier (outbox handler); its hash. The row
    is locked: a new account joining the dossier at the same time waits, then sees it."""
    dossier = repo.by_code(session, str(payload["dossier"]), for_update=True)
    if dossier is None or dossier.status != "approved":
        return None
    if dossier.result.get("pdf_sha256"):
        return str(dossier.result["pdf_sha256"])  # already issued
    procedure = catalogue.get(dossier.procedure_code)
    issuer = issuing_agency(dossier)
    credential = authority.agency_signer(
        f"ubnd-{dossier.unit_code}", issuer, _province_name(dossier)
    )
    pdf = signing.sign_result(
        _result_pdf(session, dossier, procedure, issuer),
        credential,
        location=_place(dossier),
    )
    stored = files.store(Upload("result", f"{dossier.code}.pdf", pdf), "application/pdf")
    added: dict[str, Any] = {"pdf_sha256": stored.sha256, "issued_by": issuer}
    if payload.get("credential") and dossier.account_id is not None:
        added |= _to_wallet(session, dossier, _claims(dossier, procedure, issuer))
    dossier.result = {**dossier.result, **added}
    session.flush()
    return stored.sha256


def join_account(session: Session, pid: str, account_id: int) -> int:
    """Join the citizen's dossiers filed without an e-ID account (at a desk, through the
    national portal) to the account just opened (outbox handler): their notices reach it
    from now on, and a result already approved for the wallet, signed while there was no
    wallet to put it in, is issued to it now. Returns how many credentials were issued.
    Dossiers joined once are not joined again (a second delivery of the event does
    nothing); a dossier already naming an account keeps it."""
    issued = 0
    for dossier in repo.without_account(session, pid):
        dossier.account_id = account_id
        if not _owes_credential(dossier):
            continue
        procedure = catalogue.get(dossier.procedure_code)
        if not procedure.result_credential:
            continue
        issuer = str(dossier.result.get("issued_by") or issuing_agency(dossier))
        added = _to_wallet(session, dossier, _claims(dossier, procedure, issuer))
        dossier.result = {**dossier.result, **added}
        issued += "credential_id" in added
    session.flush()
    return issued


def _owes_credential(dossier: Dossier) -> bool:
    """Approved for the wallet, its result signed, and no credential issued or refused."""
    result = dossier.result or {}
    return (
        dossier.status == "approved"
        and dossier.delivery == "wallet"
        and bool(result.get("pdf_sha256"))
        and not result.get("credential_id")
        and not result.get("credential_refused")
    )


def _to_wallet(session: Session, dossier: Dossier, claims: dict[str, Any]) -> dict[str, Any]:
    """The credential in the citizen's wallet; a closed account keeps the signed PDF (the
    refusal's code is noted) rather than failing the whole result again and again."""
    assert dossier.account_id is not None
    try:
        with session.begin_nested():
            row = wallet.issue_document(
                session, dossier.account_id, "procedure_result", claims, actor=PROCEDURES_ACTOR
            )
    except DancuError as exc:
        return {"credential_refused": exc.code}
    return {"credential_id": row.credential_id}


def slip(
    session: Session,
    actor: Actor,
    code: str,
    kind: str,
    *,
    reason: str = "",
    new_due_on: date | None = None,
) -> Paper:
    """A Circular 01/2018 slip of a dossier of the officer's units."""
    dossier = console.dossier_for(session, actor, code)
    data = slip_dossier(session, dossier, officer=actor.name)
    why = (reason or dossier.reason or "").strip()
    if kind == "receipt":
        pdf = slips.receipt(data)
    elif kind == "supplement":
        pdf = slips.supplement_request(data, [why] if why else [], reason="")
    elif kind == "refusal":
        pdf = slips.refusal(data, why or "—")
    elif kind == "apology":
        pdf = slips.apology(data, why or "—", _new_due(new_due_on, dossier), signer=actor.name)
    elif kind == "control":
        pdf = slips.control_slip(data)
    else:
        raise NotFound("No such slip", code=ProcedureErrorCode.DOSSIER_NOT_FOUND, field="kind")
    return Paper(pdf, f"{dossier.code}-{kind}.pdf")


def citizen_paper(session: Session, applicant: Applicant, code: str, kind: str) -> Paper:
    """The citizen's own receipt (form 01) or signed result of their dossier."""
    dossier = dossiers.my_dossier(session, applicant, code)
    if kind == "receipt" and dossier.code and dossier.submitted_at:
        return Paper(slips.receipt(slip_dossier(session, dossier)), f"{dossier.code}-receipt.pdf")
    sha = dossier.result.get("pdf_sha256") if kind == "result" else None
    if not sha:
        raise NotFound(
            "This dossier has no such paper yet", code=ProcedureErrorCode.DOSSIER_NOT_FOUND
        )
    return Paper(files.read(str(sha)), f"{dossier.code}.pdf")


def slip_dossier(session: Session, dossier: Dossier, *, officer: str = "") -> slips.SlipDossier:
    """What the slips say of a dossier (every read is of the dossier's own rows)."""
    procedure = catalogue.get(dossier.procedure_code)
    received = dossier.submitted_at or dossier.created_at
    uploaded = {f.component for f in repo.files_of(session, dossier.id)}
    return slips.SlipDossier(
        code=dossier.code or "",
        procedure_name=procedure.name,
        agency=issuing_agency(dossier),
        parent_agency=_parent_agency(dossier),
        place=_place(dossier),
        applicant_name=dossier.applicant_name,
        applicant_address=_address(dossier),
        received_at=received,
        due_on=dossier.due_on or received.date(),
        receiving_officer=officer if dossier.channel == "counter" and officer else ONLINE_DESK,
        components=tuple(
            slips.Component(c.name, originals=1) for c in procedure.components if c.key in uploaded
        ),
        return_method=DELIVERY_VI.get(dossier.delivery, ""),
        steps=_steps(session, dossier, received),
    )


def issuing_agency(dossier: Dossier) -> str:
    """The People's Committee of the unit that handles the dossier, in Vietnamese."""
    commune = adminunits.find_commune(dossier.unit_code)
    if commune is not None:
        return f"Ủy ban nhân dân {_lower_kind(commune.name)}"
    return f"Ủy ban nhân dân {_lower_kind(_province_name(dossier))}"


def _parent_agency(dossier: Dossier) -> str:
    if adminunits.find_commune(dossier.unit_code) is None:
        return ""
    return f"UBND {_province_name(dossier)}"


def _province_name(dossier: Dossier) -> str:
    try:
        return adminunits.province(dossier.province_code).name
    except adminunits.UnknownUnitError:
        return ""


def _place(dossier: Dossier) -> str:
    commune = adminunits.find_commune(dossier.unit_code)
    return commune.name if commune is not None else _province_name(dossier)


def _lower_kind(name: str) -> str:
    kind, _, rest = name.partition(" ")
    return f"{kind.lower()} {rest}" if rest else name


def _address(dossier: Dossier) -> str:
    for key, value in dossier.form.items():
        if "address" in key and isinstance(value, str) and value.strip():
            return value
    return _place(dossier)


def _steps(session: Session, dossier: Dossier, received: datetime) -> tuple[slips.ControlStep, ...]:
    rows = repo.steps_of(session, dossier.id)
    out = []
    handed_by = "Bộ phận Một cửa"
    for step in rows:
        if step.started_on is None:
            continue
        receiver = f"{issuing_agency(dossier)} — bước {step.seq}"
        started = datetime.combine(step.started_on, time(9), tzinfo=slips.VIETNAM_TIME)
        out.append(
            slips.ControlStep(
                handed_by,
                receiver,
                max(started, received),
                due_on=step.due_on,
                done_at=step.finished_at,
                note="Trả lại" if step.status == "rejected" else "",
            )
        )
        handed_by = receiver
    return tuple(out)


def _new_due(new_due_on: date | None, dossier: Dossier) -> date:
    today = dossiers.local_today()
    if new_due_on is None or new_due_on <= today:
        raise ValidationFailed(
            "The new date must come after today",
            code=ProcedureErrorCode.FIELD_INVALID,
            field="new_due_on",
        )
    return new_due_on


def _result_pdf(session: Session, dossier: Dossier, procedure: Procedure, issuer: str) -> bytes:
    title = f"{RESULT_TITLES.get(procedure.result, 'Kết quả')} — {procedure.name}"
    labels = {f.key: f.label for f in procedure.fields}
    facts = [("Họ và tên người yêu cầu", dossier.applicant_name)]
    facts += [("Số định danh cá nhân", dossier.applicant_pid)]
    facts += [
        (labels.get(k, k), str(v))
        for k, v in dossier.form.items()
        if not k.startswith("_") and v not in (None, "") and k in labels
    ]
    if dossier.result.get("child_pid"):
        facts.append(("Số định danh cá nhân được cấp", str(dossier.result["child_pid"])))
    decided = dossier.decided_at or utcnow()
    return slips.result_document(
        slip_dossier(session, dossier),
        title,
        facts,
        decision_number=str(dossier.result.get("number", dossier.code)),
        signer_title="Thay mặt " + issuer,
        signer="(Chữ ký số của cơ quan)",
        issued_at=decided,
    )


def _claims(dossier: Dossier, procedure: Procedure, issuer: str) -> dict[str, Any]:
    decided = (dossier.decided_at or datetime.now(UTC)).astimezone(slips.VIETNAM_TIME)
    return {
        "full_name": dossier.applicant_name,
        "personal_id": dossier.applicant_pid,
        "procedure_code": procedure.code,
        "procedure_name": procedure.name,
        "dossier_number": dossier.code,
        "decision_number": str(dossier.result.get("number", dossier.code)),
        "decided_on": decided.date().isoformat(),
        "issuing_authority": issuer,
        "result": RESULT_TITLES.get(procedure.result, procedure.result),
    }

"""The demo province's one-stop shops: a few thousand dossiers across every state.

Written straight into this domain's own tables (no outbox, so the demo does not send
thousands of SMS), from the province's citizens read once through the registry's audited
bulk read. Dossiers of the inter-connected procedures stay at their first step: approving
them would create citizens, which the registry's demo already did for itself.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dancu.common.access import Actor
from dancu.procedures import catalogue, workdays
from dancu.procedures.documents import service as documents
from dancu.procedures.models import Dossier, DossierHistory, DossierStep
from dancu.procedures.payment import demo as fee_demo
from dancu.registry import service as registry

STATES = (
    ("approved", 55),
    ("submitted", 14),
    ("processing", 10),
    ("supplement", 5),
    ("rejected", 5),
    ("withdrawn", 3),
    ("draft", 8),
)
REASONS = (
    "Hồ sơ không đủ điều kiện theo quy định",
    "Giấy tờ nộp kèm không hợp lệ",
    "Người yêu cầu không thuộc đối tượng được giải quyết",
)
BATCH = 500  # dossiers inserted per round trip
SUPPLEMENTS = ("Bổ sung bản chụp giấy tờ rõ nét", "Bổ sung ý kiến của chủ hộ")


def _at(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(1 + rng.randrange(9), rng.randrange(60)), tzinfo=UTC)


def seed_procedures_demo(
    session: Session,
    province_code: str,
    seed: int,
    *,
    actor: Actor,
    dossiers: int = 3000,
    today: date | None = None,
    signed: int = 30,
) -> int:
    """Seed ``dossiers`` dossiers of the province's citizens, the ``signed`` newest approved
    ones with their signed result; returns how many were written."""
    today = today or date.today()
    rng = random.Random(f"procedures:{seed}")
    people = [
        p
        for p in registry.citizens_for_matching(session, province_code, actor=actor)
        if p.get("birth_date") and (today - p["birth_date"]).days > 18 * 365
    ]
    if not people:
        return 0
    cat = catalogue.catalogue()
    calendar = workdays.calendar_for(session, province_code)
    states = [s for s, _ in STATES]
    weights = [w for _, w in STATES]
    written = 0
    batch: list[tuple[Any, ...]] = []
    for n in range(dossiers):
        person = rng.choice(people)
        procedure = rng.choice(cat.procedures)
        state = rng.choices(states, weights)[0]
        if procedure.kind != "standard" and state in ("approved", "rejected", "supplement"):
            state = "submitted"
        received = today - timedelta(days=rng.randrange(1, 180))
        while not calendar.is_working_day(received):
            received -= timedelta(days=1)
        unit = person["commune_code"] if procedure.level == "commune" else province_code
        channel = "online" if rng.random() < 0.7 else "counter"
        reused = [
            {
                "kind": "component",
                "key": c.key,
                "label": c.name,
                "source": c.source_kind,
                "detail": c.satisfied_by.partition(":")[2] if c.satisfied_by else "",
            }
            for c in procedure.components
            if c.source_kind in ("registry", "form") and channel == "online"
        ]
        asked = [c.key for c in procedure.components if c.key not in {r["key"] for r in reused}]
        fee = procedure.fee_online if channel == "online" else procedure.fee.amount
        due = calendar.add(received, procedure.days)
        dossier = Dossier(
            procedure_code=procedure.code,
            applicant_pid=person["pid"],
            account_id=None,
            applicant_name=person["full_name"],
            province_code=province_code,
            unit_code=unit,
            channel=channel,
            status=state,
            version=1,
            idempotency_key=f"demo-{seed}-{n:06d}",
            form={},
            reused=reused,
            asked=asked,
            delivery=rng.choice(("wallet", "wallet", "post", "counter")),
            fee_amount=fee,
            fee_state="none" if fee == 0 else ("paid" if state == "approved" else "unpaid"),
            paid_amount=fee if fee and state == "approved" else None,
            result={},
        )
        session.add(dossier)
        written += 1
        batch.append((dossier, person, procedure, state, received, due, unit))
        if len(batch) >= BATCH or n == dossiers - 1:
            session.flush()  # one round of INSERTs for the batch: the ids are known
            for item in batch:
                _finish(session, rng, calendar, province_code, today, *item)
            batch = []
    session.flush()
    sign_results(session, limit=signed)
    fee_demo.pay_by_statement(session, province_code, today=today)  # a few by bank transfer
    return written


def sign_results(session: Session, *, limit: int) -> int:
    """Sign the results of the ``limit`` most recently approved dossiers with the existing
    result signing (``documents.service.issue_result``: the agency's certificate, PAdES), so
    an approved dossier of the demo has a PDF that verifies. Signing takes a fraction of a
    second each, so the demo signs the newest few rather than thousands."""
    codes = session.scalars(
        select(Dossier.code)
        .where(Dossier.status == "approved", Dossier.code.is_not(None))
        .order_by(Dossier.decided_at.desc(), Dossier.id.desc())
        .limit(limit)
    ).all()
    for code in codes:
        documents.issue_result(session, {"dossier": code})
    return len(codes)


def _finish(
    session: Session,
    rng: random.Random,
    calendar: workdays.WorkCalendar,
    province_code: str,
    today: date,
    dossier: Dossier,
    person: dict,  # type: ignore[type-arg]
    procedure: catalogue.Procedure,
    state: str,
    received: date,
    due: date,
    unit: str,
) -> None:
    """The code, dates, steps and history of one dossier already inserted."""
    if state == "draft":
        return
    dossier.code = f"{unit}-{received:%y%m%d}{dossier.id:06d}"
    dossier.submitted_at = _at(received, rng)
    dossier.received_on, dossier.due_on = received, due
    if dossier.fee_state == "paid":
        dossier.paid_reference, dossier.paid_at = f"DEMO{dossier.id}", dossier.submitted_at
    history = [("submit", "draft", "submitted", received, None)]
    decided: date | None = None
    if state in ("approved", "rejected"):
        late = rng.random() < 0.12
        decided = calendar.add(received, procedure.days + (rng.randrange(1, 5) if late else 0))
        decided = min(decided, today)
        dossier.decided_at, dossier.decided_by = _at(decided, rng), "officer:demo"
        dossier.on_time = decided <= due
        if state == "approved":
            dossier.result = {"number": f"{dossier.code}/KQ"}
            dossier.result_digitized = True
        else:
            dossier.reason = rng.choice(REASONS)
        if rng.random() < 0.5:
            dossier.rating = rng.choices((5, 4, 3, 2, 1), (50, 30, 12, 5, 3))[0]
        history.append(
            (
                "approve" if state == "approved" else "reject",
                "processing",
                state,
                decided,
                dossier.reason,
            )
        )
    elif state == "supplement":
        dossier.paused_on = min(calendar.add(received, 1), today)
        dossier.reason = rng.choice(SUPPLEMENTS)
        history.append(
            ("request_supplement", "processing", state, dossier.paused_on, dossier.reason)
        )
    elif state == "withdrawn":
        history.append(("withdraw", "submitted", state, received, None))
    for seq, step in enumerate(procedure.steps, start=1):
        first = seq == 1
        done = state in ("approved",) or (state == "rejected" and first)
        session.add(
            DossierStep(
                dossier_id=dossier.id,
                seq=seq,
                agency=step.agency,
                unit_code=province_code if step.agency == "social_insurance" else unit,
                days=step.days,
                status=(
                    "done"
                    if state == "approved"
                    else "rejected"
                    if state == "rejected" and first
                    else "active"
                    if first
                    else "waiting"
                ),
                started_on=received if first or done else None,
                due_on=calendar.add(received, step.days) if first else None,
                finished_at=dossier.decided_at if done else None,
                officer_id="officer:demo" if done else None,
                on_time=dossier.on_time if done else None,
                outcome={},
            )
        )
    for action, before, after, day, note in history:
        session.add(
            DossierHistory(
                dossier_id=dossier.id,
                at=_at(day, rng),
                actor_id="officer:demo" if action != "submit" else f"citizen:{person['pid']}",
                action=action,
                from_status=before,
                to_status=after,
                step=1,
                note=note,
            )
        )

"""Importing a beneficiary list from the social-affairs sector (CSV or XLSX).

The file is read and normalised by the linkage engine (``linkage.dataset``), its people
linked to registry citizens by the same matcher as every sector dataset (``linkage.match``,
deterministic by ID number, then probabilistic), against one audited bulk read of the
province. A linked line becomes a proposal as if a commune officer had typed it (the same
rules: alive, living in the commune, the category's ages, a stated amount that matches the
rule, a verified account); every other line is reported with its code, and nothing of it
is written (each line in its own savepoint).

Columns: ``ma_doi_tuong`` (the sector's key), ``ho_ten``, ``so_cccd``, ``ngay_sinh``,
``gioi_tinh``, ``ma_xa`` (commune code), ``doi_tuong`` (category code), optional
``so_tien`` (monthly amount stated by the sector), ``ngan_hang`` (bank code),
``so_tai_khoan`` and ``dong_y`` (the beneficiary's consent to be paid into it: x, 1, có).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from dancu.common.access import Actor, Permission
from dancu.common.errors import DancuError
from dancu.linkage import match
from dancu.linkage.dataset import read_dataset
from dancu.linkage.run_inputs import registry_frame
from dancu.payments import area, beneficiaries, programmes
from dancu.payments.errors import PaymentsErrorCode
from dancu.payments.mapper import AccountDirectory, verify_account
from dancu.payments.schemas import ImportOut, ImportProblemOut
from dancu.registry import service as registry

SOURCE_TYPE = "merit"  # the linkage source type of lists of people (its mapping overridden)
MAPPING = {
    "record_key": "ma_doi_tuong",
    "full_name": "ho_ten",
    "id_number": "so_cccd",
    "birth_date": "ngay_sinh",
    "sex": "gioi_tinh",
    "commune_code": "ma_xa",
}
LINKED = ("synced", "synced_with_differences")
YES = {"x", "1", "co", "có", "yes", "true"}
Progress = Callable[[str, int, int], None]


def import_list(
    session: Session,
    data: bytes,
    *,
    file_name: str,
    programme_code: str,
    province_code: str,
    actor: Actor,
    directory: AccountDirectory | None = None,
    today: date | None = None,
    progress: Progress | None = None,
) -> ImportOut:
    actor.require(Permission.BENEFICIARY_MANAGE)
    area.province(actor, province_code)
    today = today or date.today()
    programme = programmes.get_programme(session, programme_code)
    suffix = file_name.rpartition(".")[2].lower()
    dataset = read_dataset(data, SOURCE_TYPE, MAPPING, file_format=suffix, today=today)
    problems = [
        ImportProblemOut(line=p.line, code=p.code, detail=p.value or "")
        for p in dataset.problems
        if p.rejected
    ]
    citizens = registry.citizens_for_matching(
        session, province_code, actor=actor, purpose=area.PURPOSE
    )
    facts = {c["pid"]: c for c in citizens}
    outcomes = _link(dataset.records, registry_frame(citizens), progress)
    proposed = 0
    for record in dataset.records.to_dict("records"):
        outcome = outcomes.get(record["record_key"], {})
        try:
            with session.begin_nested():
                _propose(session, record, outcome, facts, programme, actor, directory, today)
            proposed += 1
        except DancuError as exc:
            problems.append(
                ImportProblemOut(line=int(record["line"]), code=exc.code, detail=exc.message[:200])
            )
    problems.sort(key=lambda p: p.line)
    return ImportOut(lines=dataset.lines, proposed=proposed, problems=problems)


def _link(
    records: pd.DataFrame, citizens: pd.DataFrame, progress: Progress | None
) -> dict[str, dict[str, Any]]:
    if records.empty:
        return {}
    columns = [*match.SECTOR_COLUMNS, "name", "province_code", "dedup_key"]
    result = match.link(records[columns], citizens, progress=progress)
    return {r["record_key"]: r for r in result.outcomes.to_dict("records")}


def _propose(
    session: Session,
    record: dict[str, Any],
    outcome: dict[str, Any],
    facts: dict[str, dict[str, Any]],
    programme: Any,
    actor: Actor,
    directory: AccountDirectory | None,
    today: date,
) -> None:
    raw = record["raw"] or {}
    if outcome.get("outcome") not in LINKED or outcome.get("citizen_pid") not in facts:
        raise DancuError(
            f"Not linked to a citizen ({outcome.get('outcome', 'not_found')})",
            code=PaymentsErrorCode.NOT_LINKED,
        )
    citizen = facts[outcome["citizen_pid"]]
    unit = area.commune(actor, raw.get("ma_xa") or citizen["commune_code"])
    category = programmes.get_category(session, programme, (raw.get("doi_tuong") or "").strip())
    beneficiaries.check_citizen(citizen, category, unit.code, today)
    if raw.get("so_tien"):
        stated = _whole(raw["so_tien"])
        programmes.check_amount(session, programme, category, today.replace(day=1), stated)
    account = None
    if raw.get("so_tai_khoan"):
        consent = (raw.get("dong_y") or "").strip().casefold() in YES
        account = verify_account(
            directory,
            raw.get("ngan_hang") or "",
            raw["so_tai_khoan"],
            citizen["pid"],
            consent=consent,
        )
    beneficiaries.create(
        session,
        programme_id=programme.id,
        category=category,
        pid=citizen["pid"],
        full_name=citizen["full_name"],
        unit=unit,
        account=account,
        reason="imported from the social-affairs list",
        actor=actor,
        source="import",
        source_ref=str(record["record_key"])[:64],
    )


def _whole(value: str) -> int:
    digits = value.replace(".", "").replace(",", "").replace(" ", "").strip()
    if not digits.isdigit():
        return -1
    return int(digits)

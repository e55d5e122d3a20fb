"""The programmes, their categories and their standard levels, as dated data.

Monthly social assistance (Decree 20/2021/NĐ-CP, "Quy định chính sách trợ giúp xã hội đối
với đối tượng bảo trợ xã hội"): each category receives a coefficient of the standard
assistance level ("mức chuẩn trợ giúp xã hội", Article 4) given in Article 6. Allowances for
people with meritorious service are coefficients of the merit standard level ("mức chuẩn
trợ cấp ưu đãi", Ordinance 02/2020/UBTVQH14 and its decrees); the two merit categories
below use simplified coefficients for the demonstration (the decrees' annexes list dozens
of amounts). The funeral allowance of a beneficiary of monthly assistance is at least 20
times the standard level (Decree 20/2021/NĐ-CP, Art. 11(1)). Each level below cites the
decree and the date it applies from. Checked on 2026-12-03 from the decrees' provisions as
known, without access to their texts from this machine: confirm the articles against the
Official Gazette (Công báo) before a real payment run.

An amount is ``level in force on the month's first day x coefficient``: a new level applies
from its date; an instruction keeps the amount it was built with, so a later level never
rewrites a paid month, and ``add_level`` refuses a date inside a month already approved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from dancu.common.access import Actor, Permission
from dancu.common.errors import InvalidState, NotFound, ValidationFailed
from dancu.common.i18n import N_
from dancu.payments import repository as repo
from dancu.payments.errors import PaymentsErrorCode
from dancu.payments.models import Category, Level, Programme
from dancu.payments.schemas import CategoryOut, LevelOut, ProgrammeOut

SOCIAL = "social_assistance"
MERIT = "merit_allowance"
FUNERAL = "funeral_allowance"


@dataclass(frozen=True, slots=True)
class CategoryDef:
    code: str
    name: str
    coefficient: int  # thousandths of the standard level
    min_age: int | None = None
    max_age: int | None = None  # the category ends on this birthday


@dataclass(frozen=True, slots=True)
class ProgrammeDef:
    code: str
    name: str
    kind: str
    legal_basis: str
    categories: tuple[CategoryDef, ...]
    levels: tuple[tuple[date, int, str], ...]


# The standard social-assistance level ("mức chuẩn trợ giúp xã hội"), VND a month:
# - 270,000: Decree 136/2013/NĐ-CP of 21 October 2013, Art. 4(1), in force 1 January 2014;
# - 360,000: Decree 20/2021/NĐ-CP of 15 March 2021, Art. 4(1), in force 1 July 2021,
#   replacing Decree 136/2013;
# - 500,000: Decree 76/2024/NĐ-CP of 1 July 2024, Art. 1 (amending Art. 4(1) of Decree
#   20/2021), applied from 1 July 2024.
_SOCIAL_LEVELS = (
    (date(2014, 1, 1), 270_000, "Decree 136/2013/NĐ-CP, Art. 4(1)"),
    (date(2021, 7, 1), 360_000, "Decree 20/2021/NĐ-CP, Art. 4(1)"),
    (date(2024, 7, 1), 500_000, "Decree 76/2024/NĐ-CP, Art. 1"),
)
# The merit standard level ("mức chuẩn trợ cấp ưu đãi người có công với cách mạng"), VND:
# - 1,624,000: Decree 58/2019/NĐ-CP of 1 July 2019, applied from 1 July 2019;
# - 1,624,000 (unchanged): Decree 75/2021/NĐ-CP of 24 July 2021, Art. 3, in force
#   15 September 2021, the decree of Ordinance 02/2020/UBTVQH14 (was 1 September 2021
#   here: the level in force on a month's first day applies, so September 2021 now reads
#   Decree 58/2019's level, the same amount);
# - 2,055,000: Decree 55/2023/NĐ-CP of 21 July 2023 (amending Decree 75/2021), applied
#   from 1 July 2023;
# - 2,789,000: Decree 77/2024/NĐ-CP of 1 July 2024 (amending Decree 75/2021), applied
#   from 1 July 2024.
_MERIT_LEVELS = (
    (date(2019, 7, 1), 1_624_000, "Decree 58/2019/NĐ-CP"),
    (date(2021, 9, 15), 1_624_000, "Decree 75/2021/NĐ-CP, Art. 3"),
    (date(2023, 7, 1), 2_055_000, "Decree 55/2023/NĐ-CP"),
    (date(2024, 7, 1), 2_789_000, "Decree 77/2024/NĐ-CP"),
)
PROGRAMMES: tuple[ProgrammeDef, ...] = (
    ProgrammeDef(
        SOCIAL,
        N_("Monthly social assistance"),
        "monthly",
        "Decree 20/2021/NĐ-CP; Decree 76/2024/NĐ-CP",
        (
            CategoryDef(
                "elderly_80_no_pension", N_("Aged 80 or more, without a pension"), 1000, 80
            ),
            CategoryDef(
                "elderly_poor_60", N_("Aged 60 to 80, poor household, no carer"), 1500, 60, 80
            ),
            CategoryDef(
                "elderly_poor_80", N_("Aged 80 or more, poor household, no carer"), 2000, 80
            ),
            CategoryDef("disabled_severe", N_("Person with a severe disability"), 1500),
            CategoryDef(
                "disabled_very_severe", N_("Person with a particularly severe disability"), 2000
            ),
            CategoryDef("orphan_under_4", N_("Child under 4 without support"), 2500, None, 4),
            CategoryDef("orphan_4_16", N_("Child of 4 to 16 without support"), 1500, 4, 16),
        ),
        _SOCIAL_LEVELS,
    ),
    ProgrammeDef(
        MERIT,
        N_("Allowance for people with meritorious service"),
        "monthly",
        "Ordinance 02/2020/UBTVQH14; Decree 75/2021/NĐ-CP; Decree 77/2024/NĐ-CP",
        (
            CategoryDef("martyr_relative", N_("Relative of a fallen soldier"), 1000),
            CategoryDef(
                "toxic_chemical_victim", N_("Resistance member exposed to toxic chemicals"), 1300
            ),
        ),
        _MERIT_LEVELS,
    ),
    ProgrammeDef(
        FUNERAL,
        N_("Funeral allowance"),
        "one_off",
        "Decree 20/2021/NĐ-CP, Art. 11",
        (
            CategoryDef(
                "beneficiary_funeral", N_("Funeral of a beneficiary of monthly assistance"), 20_000
            ),
        ),
        _SOCIAL_LEVELS,
    ),
)


def ensure_programmes(session: Session) -> None:
    """Write the programmes, categories and levels above that the database lacks (idempotent;
    a level already there keeps its amount)."""
    for definition in PROGRAMMES:
        programme = repo.programme_by_code(session, definition.code)
        if programme is None:
            programme = Programme(
                code=definition.code,
                name=definition.name,
                kind=definition.kind,
                legal_basis=definition.legal_basis,
            )
            session.add(programme)
            session.flush()
        repo.insert_ignoring_existing(
            session,
            Category,
            [
                {
                    "programme_id": programme.id,
                    "code": c.code,
                    "name": c.name,
                    "coefficient": c.coefficient,
                    "min_age": c.min_age,
                    "max_age": c.max_age,
                }
                for c in definition.categories
            ],
            ("programme_id", "code"),
        )
        repo.insert_ignoring_existing(
            session,
            Level,
            [
                {"programme_id": programme.id, "effective_from": d, "amount": a, "legal_basis": b}
                for d, a, b in definition.levels
            ],
            ("programme_id", "effective_from"),
        )
    session.flush()


def get_programme(session: Session, code: str) -> Programme:
    programme = repo.programme_by_code(session, code)
    if programme is None:
        raise NotFound(
            f"No programme {code!r}", code=PaymentsErrorCode.PROGRAMME_UNKNOWN, field="programme"
        )
    return programme


def get_category(session: Session, programme: Programme, code: str) -> Category:
    category = session.scalars(
        select(Category).where(Category.programme_id == programme.id, Category.code == code)
    ).first()
    if category is None:
        raise ValidationFailed(
            f"No category {code!r} in {programme.code}",
            code=PaymentsErrorCode.CATEGORY_UNKNOWN,
            field="category",
        )
    return category


def level_on(session: Session, programme_id: int, day: date) -> int:
    """The standard level in force on ``day``."""
    amount = session.scalar(
        select(Level.amount)
        .where(Level.programme_id == programme_id, Level.effective_from <= day)
        .order_by(Level.effective_from.desc())
        .limit(1)
    )
    if amount is None:
        raise ValidationFailed(
            f"No standard level in force on {day}",
            code=PaymentsErrorCode.LEVEL_NONE,
            field="month",
        )
    return int(amount)


def amount_for(level: int, coefficient: int) -> int:
    """A category's monthly amount in whole đồng (exact integer arithmetic)."""
    return level * coefficient // 1000


def monthly_amount(session: Session, programme: Programme, category: Category, month: date) -> int:
    return amount_for(level_on(session, programme.id, month), category.coefficient)


def check_amount(
    session: Session, programme: Programme, category: Category, month: date, amount: int
) -> None:
    """Refuse an amount that the programme's rule does not give for this month."""
    expected = monthly_amount(session, programme, category, month)
    if amount != expected:
        raise ValidationFailed(
            f"{amount} VND is not the {programme.code} amount for {category.code} in "
            f"{month:%m/%Y} ({expected} VND)",
            code=PaymentsErrorCode.AMOUNT_RULE,
            field="amount",
            expected=expected,
        )


def add_level(
    session: Session,
    programme_code: str,
    effective_from: date,
    amount: int,
    *,
    legal_basis: str,
    actor: Actor,
) -> Level:
    """A new standard level from a date; never inside a month whose cycle is approved."""
    actor.require(Permission.PAYMENT_APPROVE)
    programme = get_programme(session, programme_code)
    if amount <= 0:
        raise ValidationFailed(
            "The level must be positive", code=PaymentsErrorCode.AMOUNT_RULE, field="amount"
        )
    last_paid = repo.last_approved_month(session, programme.id)
    if last_paid is not None and effective_from <= _month_end(last_paid):
        raise InvalidState(
            f"{effective_from} falls in or before {last_paid:%m/%Y}, a month already approved",
            code=PaymentsErrorCode.LEVEL_PAID_MONTH,
            field="effective_from",
        )
    level = Level(
        programme_id=programme.id,
        effective_from=effective_from,
        amount=amount,
        legal_basis=legal_basis,
    )
    session.add(level)
    session.flush()
    return level


def _month_end(month: date) -> date:
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


def age_on(birth_date: date, day: date) -> int:
    years = day.year - birth_date.year
    return years - ((day.month, day.day) < (birth_date.month, birth_date.day))


def describe(session: Session, *, actor: Actor) -> list[ProgrammeOut]:
    """Every programme with its categories and its dated standard levels."""
    actor.require(Permission.BENEFICIARY_READ)
    return [
        ProgrammeOut(
            code=p.code,
            name=p.name,
            kind=p.kind,
            legal_basis=p.legal_basis,
            categories=[CategoryOut.model_validate(c) for c in repo.categories(session, p.id)],
            levels=[LevelOut.model_validate(v) for v in repo.levels(session, p.id)],
        )
        for p in repo.programmes(session)
    ]

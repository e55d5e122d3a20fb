"""Tests for the deterministic synthetic-province generator."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import types
import unicodedata
from collections import Counter
from datetime import date

import pytest

from dancu.common import adminunits
from dancu.common.pid import check_against, parse_pid
from dancu.demo.names import is_female_middle, is_male_middle
from dancu.demo.population import HouseholdRow, PersonRow, generate

TODAY = date(2025, 10, 1)
HIGHLAND = {"Ê Đê", "M'nông", "Gia Rai"}
RELATIONS = {"head", "spouse", "child", "parent", "grandchild", "sibling", "other"}
MARITAL = {"single", "married", "divorced", "widowed"}


def _years(older: date, younger: date) -> float:
    return (younger - older).days / 365.2425


def _age(p: PersonRow) -> float:
    return _years(p.birth_date, TODAY)


@pytest.fixture(scope="module")
def daklak() -> list[HouseholdRow]:
    return list(generate("66", 20_000, seed=6, today=TODAY))


@pytest.fixture(scope="module")
def people(daklak: list[HouseholdRow]) -> list[PersonRow]:
    return [p for hh in daklak for p in hh.members]


def test_exact_count_and_streaming() -> None:
    for n in (0, 1, 2, 7, 1234):
        assert sum(len(h.members) for h in generate("66", n)) == n
    stream = generate("66", 10**9)
    assert isinstance(stream, types.GeneratorType)
    first = next(stream)
    assert first.key == 1 and first.members[0].relation == "head"
    stream.close()


def test_deterministic() -> None:
    a = list(generate("66", 1500, seed=11))
    assert a == list(generate("66", 1500, seed=11))
    assert a != list(generate("66", 1500, seed=12))


def test_deterministic_across_processes() -> None:
    code = (
        "import hashlib; from dancu.demo.population import generate; "
        "print(hashlib.sha256(repr(list(generate('66', 800, seed=4))).encode()).hexdigest())"
    )
    digests = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        digests.add(out.stdout.strip())
    assert len(digests) == 1


def test_households(daklak: list[HouseholdRow]) -> None:
    assert [h.key for h in daklak] == list(range(1, len(daklak) + 1))
    sizes = [len(h.members) for h in daklak]
    assert 3.2 <= statistics.mean(sizes) <= 3.8
    assert min(sizes) >= 1 and max(sizes) <= 12
    for h in daklak:
        assert [p.relation for p in h.members].count("head") == 1
        assert h.members[0].relation == "head"
        assert all(p.commune_code == h.commune_code for p in h.members)
        assert all(p.address_detail == h.address_detail for p in h.members)


def test_communes_belong_to_province(daklak: list[HouseholdRow]) -> None:
    own = {c.code for c in adminunits.communes("66")}
    used = Counter(h.commune_code for h in daklak)
    assert set(used) <= own
    assert len(used) >= 0.8 * len(own)


def test_other_province_uses_only_its_communes() -> None:
    own = {c.code for c in adminunits.communes("04")}
    households = list(generate("04", 3000, seed=2))
    assert {h.commune_code for h in households} <= own
    people = [p for h in households for p in h.members]
    assert len({p.pid for p in people}) == 3000
    assert sum(p.ethnicity != "Kinh" for p in people) / 3000 > 0.8  # Tày, Nùng, H'Mông, Dao
    assert sum(p.pid.startswith("004") for p in people) / 3000 > 0.8
    assert all(p.hometown and p.place_of_birth for p in people)


def test_unknown_province() -> None:
    with pytest.raises(adminunits.UnknownUnitError):
        next(generate("99", 10))


def test_pids_unique_valid_and_consistent(people: list[PersonRow]) -> None:
    assert len({p.pid for p in people}) == len(people)
    for p in people:
        info = parse_pid(p.pid, today=TODAY)
        check_against(p.pid, birth_date=p.birth_date, sex=p.sex)
        assert info.birth_year == p.birth_date.year and info.sex == p.sex
    born_here = sum(p.pid[:3] in ("066", "054") for p in people) / len(people)
    assert 0.6 < born_here < 0.97  # most are born in the province, some elsewhere


def test_field_values(people: list[PersonRow]) -> None:
    for p in people:
        assert p.sex in ("M", "F") and p.nationality == "VN"
        assert p.relation in RELATIONS and p.marital_status in MARITAL
        assert p.birth_date < TODAY and p.birth_date.year >= 1925
        for text in (p.full_name, p.place_of_birth, p.hometown, p.address_detail):
            assert text and unicodedata.is_normalized("NFC", text)
        assert ", " in p.hometown
    religions = Counter(p.religion for p in people)
    assert religions.most_common(1)[0][0] == "Không"
    assert {"Công giáo", "Phật giáo", "Tin Lành"} <= set(religions)


def test_age_pyramid(people: list[PersonRow]) -> None:
    ages = [_age(p) for p in people]
    n = len(ages)
    assert 0.19 <= sum(a < 15 for a in ages) / n <= 0.27
    assert 0.05 <= sum(a >= 65 for a in ages) / n <= 0.11
    assert 29 <= statistics.median(ages) <= 37
    assert 0.47 <= sum(p.sex == "F" for p in people) / n <= 0.53


def test_ethnicity_mix_daklak(people: list[PersonRow]) -> None:
    eth = Counter(p.ethnicity for p in people)
    assert 0.25 <= 1 - eth["Kinh"] / len(people) <= 0.42
    assert eth.most_common(2)[1][0] == "Ê Đê"
    assert {"M'nông", "Gia Rai", "Tày", "Nùng", "H'Mông"} <= set(eth)
    ede = [p for p in people if p.ethnicity == "Ê Đê"]
    assert sum(p.religion == "Tin Lành" for p in ede) / len(ede) > 0.25


def test_family_structure(daklak: list[HouseholdRow]) -> None:
    checked = 0
    for h in daklak:
        head = h.members[0]
        spouses = [p for p in h.members if p.relation == "spouse"]
        assert len(spouses) <= 1
        parents_of_children = [head, *spouses]
        for s in spouses:
            assert s.sex != head.sex
            assert abs(_years(s.birth_date, head.birth_date)) <= 16
        for p in h.members:
            if p.relation == "child":
                for parent in parents_of_children:
                    assert _years(parent.birth_date, p.birth_date) >= 16, (parent, p)
                checked += 1
            elif p.relation == "parent":
                assert _years(p.birth_date, head.birth_date) >= 16
            elif p.relation == "grandchild":
                assert _years(head.birth_date, p.birth_date) >= 32
    assert checked > 5000


def test_children_take_the_lineage_name(daklak: list[HouseholdRow]) -> None:
    kinh = ede = 0
    for h in daklak:
        head = h.members[0]
        kids = [p for p in h.members if p.relation == "child"]
        spouse = next((p for p in h.members if p.relation == "spouse"), None)
        if head.ethnicity == "Kinh" and head.sex == "M" and spouse:
            for kid in kids:
                assert kid.full_name.split()[0] == head.full_name.split()[0]
                kinh += 1
        if head.ethnicity == "Ê Đê" and spouse:  # matrilineal: the mother's clan
            mother = head if head.sex == "F" else spouse
            clan = " ".join(mother.full_name.split()[1:])
            for kid in kids:
                assert kid.full_name.endswith(" " + clan), (mother, kid)
                ede += 1
    assert kinh > 2000 and ede > 300


def test_family_names_nguyen_share() -> None:
    people = [p for h in generate("01", 20_000, seed=5) for p in h.members]
    families = Counter(p.full_name.split()[0] for p in people)
    assert 0.30 <= families["Nguyễn"] / len(people) <= 0.45
    assert families.most_common(3)[0][0] == "Nguyễn" and len(families) > 40


def test_kinh_nguyen_share_in_daklak(people: list[PersonRow]) -> None:
    kinh = [p for p in people if p.ethnicity == "Kinh"]
    share = sum(p.full_name.startswith("Nguyễn ") for p in kinh) / len(kinh)
    assert 0.30 <= share <= 0.45


def test_middle_names_match_sex(people: list[PersonRow]) -> None:
    kinh = [p for p in people if p.ethnicity == "Kinh"]
    for p in kinh:
        middles = p.full_name.split()[1:-1]
        assert middles
        check = is_female_middle if p.sex == "F" else is_male_middle
        assert all(check(m) for m in middles), p.full_name
    old_women = [p for p in kinh if p.sex == "F" and p.birth_date.year < 1975]
    assert sum(p.full_name.split()[1] == "Thị" for p in old_women) / len(old_women) > 0.5
    assert not any("Thị" in p.full_name.split()[1:-1] for p in kinh if p.sex == "M")


def test_deaths(daklak: list[HouseholdRow], people: list[PersonRow]) -> None:
    dead = [p for p in people if p.death_date is not None]
    assert 0.002 <= len(dead) / len(people) <= 0.015
    for p in dead:
        assert p.birth_date < p.death_date < TODAY
        assert p.card_issued_on is None
    assert sum(_age(p) >= 60 for p in dead) > len(dead) / 2
    for h in daklak:
        head, spouse = h.members[0], next((p for p in h.members if p.relation == "spouse"), None)
        if spouse and spouse.death_date:
            assert head.marital_status == "widowed"
        if spouse and not spouse.death_date and head.death_date is None:
            assert head.marital_status == spouse.marital_status == "married"
    marital = Counter(p.marital_status for p in people)
    assert marital["widowed"] > 0 and marital["divorced"] > 0


def test_id_cards(people: list[PersonRow]) -> None:
    eligible = [p for p in people if p.death_date is None and _age(p) >= 14]
    assert sum(p.card_issued_on is not None for p in eligible) / len(eligible) > 0.85
    for p in people:
        if _age(p) < 14:
            assert p.card_issued_on is None, p
        if p.card_issued_on is not None:
            assert date(2021, 1, 1) <= p.card_issued_on <= TODAY
            assert _years(p.birth_date, p.card_issued_on) >= 14


@pytest.mark.slow
def test_large_run_unique_pids() -> None:
    seen: set[str] = set()
    total = 0
    for h in generate("66", 200_000, seed=1):
        for p in h.members:
            seen.add(p.pid)
            total += 1
    assert total == len(seen) == 200_000

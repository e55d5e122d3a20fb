"""Tests for the synthetic Vietnamese name generator."""

from __future__ import annotations

import random
import unicodedata
from collections import Counter

import pytest

from dancu.demo.names import (
    address_detail,
    family_name,
    full_name,
    is_female_middle,
    is_male_middle,
)

COMMON = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi")


def _names(sex: str, n: int, *, seed: int = 1, **kw: object) -> list[str]:
    rng = random.Random(seed)
    return [full_name(rng, sex, **kw) for _ in range(n)]  # type: ignore[arg-type]


def test_family_name_frequencies() -> None:
    rng = random.Random(6)
    counts = Counter(family_name(rng) for _ in range(20_000))
    share = {k: v / 20_000 for k, v in counts.items()}
    assert 0.33 <= share["Nguyễn"] <= 0.43
    assert 0.08 <= share["Trần"] <= 0.14
    assert 0.07 <= share["Lê"] <= 0.12
    assert share["Trần"] > share["Phạm"] > share["Đặng"] > share["Lý"]
    assert all(name in counts for name in COMMON)
    assert len(counts) >= 45  # the long tail of rarer surnames shows up
    tail = ("Đinh", "Đoàn", "Lâm", "Mai", "Trịnh", "Trương", "Quách", "Kiều", "Lã", "Khổng")
    assert all(name in counts for name in tail)


def test_kinh_name_order_family_middle_given() -> None:
    for sex in ("M", "F"):
        for name in _names(sex, 2000, birth_year=1970):
            parts = name.split()
            assert len(parts) == 3, name
            family, middle, given = parts
            assert family[0].isupper() and middle != given
            assert (is_male_middle if sex == "M" else is_female_middle)(middle), name


def test_middle_names_are_gendered() -> None:
    old_women = [n.split()[1] for n in _names("F", 3000, birth_year=1960)]
    old_men = [n.split()[1] for n in _names("M", 3000, birth_year=1960)]
    assert old_women.count("Thị") / 3000 > 0.55
    assert old_men.count("Văn") / 3000 > 0.45
    assert "Thị" not in old_men and "Văn" not in old_women
    young_women = [n.split()[1:-1] for n in _names("F", 3000, birth_year=2010)]
    young_men = [n.split()[1:-1] for n in _names("M", 3000, birth_year=2010)]
    assert sum(m == ["Thị"] for m in young_women) / 3000 < 0.4  # less "Thị" than before
    assert all(is_female_middle(w) for m in young_women for w in m)
    assert all(is_male_middle(w) for m in young_men for w in m)
    assert not any("Thị" in m for m in young_men)
    assert not any("Văn" in m for m in young_women)


def test_two_middle_names_only_for_the_young() -> None:
    young = _names("F", 3000, birth_year=2005)
    assert 0.08 < sum(len(n.split()) == 4 for n in young) / 3000 < 0.3
    assert all(len(n.split()) == 3 for n in _names("F", 2000, birth_year=1975))


def test_many_distinct_given_names() -> None:
    for sex in ("M", "F"):
        given = {n.split()[-1] for n in _names(sex, 20_000, birth_year=1990)}
        assert len(given) >= 60
    assert "Hùng" in {n.split()[-1] for n in _names("M", 5000)}
    assert "Lan" in {n.split()[-1] for n in _names("F", 5000)}


def test_family_is_kept_and_normalized() -> None:
    decomposed = unicodedata.normalize("NFD", "Nguyễn")
    for name in _names("F", 200, family=decomposed):
        assert name.startswith("Nguyễn ")
        assert unicodedata.is_normalized("NFC", name)


def test_all_names_nfc() -> None:
    rng = random.Random(3)
    for eth in ("Kinh", "Ê Đê", "M'nông", "Gia Rai", "Tày", "Nùng", "Thái", "H'Mông", "Hoa"):
        for i in range(500):
            name = full_name(rng, "MF"[i % 2], ethnicity=eth, birth_year=1950 + i % 70)
            assert unicodedata.is_normalized("NFC", name), name
            assert "  " not in name and name == name.strip()


def test_ede_names_are_personal_name_first() -> None:
    men = _names("M", 500, ethnicity="Ê Đê", birth_year=1980)
    women = _names("F", 500, ethnicity="Ê Đê", birth_year=1980)
    assert all(n.startswith("Y ") for n in men)
    assert all(n.startswith("H'") for n in women)
    assert sum(n.endswith(" Niê") for n in men + women) > 100
    assert all(n.endswith(" Mlô") for n in _names("F", 50, ethnicity="Ê Đê", family="Mlô"))


def test_gia_rai_clan_first_or_last() -> None:
    names = _names("M", 400, ethnicity="Gia Rai", family="Ksor")
    first = sum(n.startswith("Ksor Y ") for n in names)
    last = sum(n.startswith("Y ") and n.endswith(" Ksor") for n in names)
    assert first + last == 400 and first > 100 and last > 50


def test_minority_surnames() -> None:
    rng = random.Random(2)
    assert {family_name(rng, ethnicity="H'Mông") for _ in range(300)} >= {"Giàng", "Thào"}
    assert {family_name(rng, ethnicity="Ê Đê") for _ in range(300)} >= {"Niê", "Mlô", "Êban"}
    hmong = _names("M", 100, ethnicity="H'Mông")
    assert any(n.split()[1] == "A" for n in hmong)


def test_deterministic() -> None:
    assert _names("F", 50, seed=9) == _names("F", 50, seed=9)
    assert _names("F", 50, seed=9) != _names("F", 50, seed=10)


def test_bad_sex() -> None:
    with pytest.raises(ValueError):
        full_name(random.Random(1), "X")


def test_address_detail() -> None:
    rng = random.Random(4)
    urban = [address_detail(rng, "Phường") for _ in range(300)]
    assert any(a[0].isdigit() for a in urban) and any(a.startswith("Tổ dân phố") for a in urban)
    rural = [address_detail(rng, "Xã") for _ in range(100)]
    assert all(a.startswith("Thôn ") for a in rural)
    south = [address_detail(rng, "Xã", south=True) for _ in range(100)]
    assert all(a.startswith("Ấp ") for a in south)
    ede = [address_detail(rng, "Xã", "Ê Đê") for _ in range(200)]
    assert sum(a.startswith("Buôn ") for a in ede) > 140
    assert all(unicodedata.is_normalized("NFC", a) for a in urban + rural + ede)

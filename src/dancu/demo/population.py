"""Deterministic synthetic population of one province, streamed household by household.

Pure Python, no database. Household types (nuclear, three-generation, single parent, alone,
siblings) are tuned to Vietnam's 2024 age pyramid (~23% under 15, ~8% aged 65+, median ~33)
and ~3.5 persons per household. Ê Đê, M'nông and Gia Rai families are matrilineal.
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from itertools import accumulate
from math import log

from dancu.common import adminunits
from dancu.common.pid import make_pid
from dancu.demo.names import HIGHLAND_ETHNICITIES, Weighted, address_detail, family_name, full_name

__all__ = ["HouseholdRow", "PersonRow", "generate"]

YEAR = 365.2425
_CARD_START = date(2021, 1, 1).toordinal()
_NEW_MAP = date(2025, 7, 1).toordinal()  # the 34-province map is in force from this day
_SERIAL_STEP = 738_923  # odd and not a multiple of 5: n -> n * step mod 10**6 is a bijection


@dataclass(slots=True)
class PersonRow:
    """One citizen; ``relation`` is to the household head."""

    pid: str
    full_name: str
    birth_date: date
    sex: str
    ethnicity: str
    religion: str
    nationality: str
    place_of_birth: str
    hometown: str
    commune_code: str
    address_detail: str
    relation: str
    marital_status: str
    death_date: date | None
    card_issued_on: date | None


@dataclass(slots=True)
class HouseholdRow:
    """One household; ``members[0]`` is the head."""

    key: int
    commune_code: str
    address_detail: str
    members: list[PersonRow]


_ETHNIC_MIX = {
    "66": "Kinh 67, Ê Đê 17, M'nông 2.5, Gia Rai 1.5, Tày 3.5, Nùng 3.5, Thái 1.5, Mường 1.5,"
    "Dao 1, H'Mông 1, Hoa 0.5",
    "04": "Tày 41, Nùng 32, H'Mông 11, Dao 10, Kinh 5, Hoa 1",
    "08": "Kinh 35, Tày 26, H'Mông 18, Dao 12, Nùng 5, Hoa 1",
    "11": "Thái 38, H'Mông 38, Kinh 19, Dao 3, Mường 1",
    "14": "Thái 53, Kinh 17, H'Mông 17, Mường 9, Dao 3",
    "20": "Nùng 42, Tày 35, Kinh 16, Dao 4, H'Mông 1, Hoa 1",
    "52": "Kinh 67, Gia Rai 27, Tày 2, Nùng 2, Mường 1, Thái 1",
    "79": "Kinh 93, Hoa 6, Khmer 1",
    "92": "Kinh 80, Khmer 17, Hoa 3",
}
_DEFAULT_MIX = "Kinh 98, Hoa 0.6, Tày 0.4, Mường 0.5, Thái 0.5"
_RELIGION = {
    "Kinh": "Không 78, Phật giáo 11, Công giáo 8, Tin Lành 1, Cao Đài 1.5, Phật giáo Hòa Hảo 0.5",
    "Ê Đê": "Không 40, Tin Lành 45, Công giáo 15",
    "Gia Rai": "Không 50, Tin Lành 30, Công giáo 20",
    "M'nông": "Không 55, Tin Lành 30, Công giáo 15",
    "H'Mông": "Không 75, Tin Lành 20, Công giáo 5",
    "Khmer": "Phật giáo 90, Không 10",
    "Hoa": "Không 50, Phật giáo 45, Công giáo 5",
    "": "Không 92, Phật giáo 5, Công giáo 2, Tin Lành 1",  # everyone else
}
# Legacy provinces that migrants come from, by ethnicity ("code weight").
_ORIGINS = {
    "Kinh": "40 3, 38 3, 42 3, 34 3, 36 3, 49 3, 51 3, 52 3, 01 2, 79 2, 44 2, 30 2, 33 2, 46 2",
    "Tày": "04 3, 20 3, 06 2, 02 2, 10 1, 08 1",
    "Nùng": "20 3, 04 3, 06 1, 02 1",
    "Thái": "14 3, 11 2, 12 1, 40 1",
    "Mường": "17 3, 38 2, 25 1",
    "Dao": "02 2, 10 2, 15 1, 04 1, 08 1",
    "H'Mông": "02 2, 10 2, 11 1, 12 1, 14 1",
    "Hoa": "79 3, 91 1, 22 1",
    "Khmer": "94 2, 84 2, 91 2",
}
_MIGRATION = {"66": 0.55, "52": 0.4, "68": 0.45, "79": 0.45, "01": 0.3, "75": 0.4, "48": 0.3}
_TYPES = Weighted("nuclear 59, alone 10, three_up 10, three_down 11, single_parent 7, siblings 3")
_KIDS = {  # number of children born, by the mother's birth cohort (born before Jan 1st of)
    date(1960, 1, 1).toordinal(): Weighted("1 5, 2 15, 3 25, 4 25, 5 18, 6 12"),
    date(1975, 1, 1).toordinal(): Weighted("0 3, 1 10, 2 35, 3 32, 4 15, 5 5"),
    date(1990, 1, 1).toordinal(): Weighted("0 4, 1 15, 2 50, 3 25, 4 6"),
    date(9999, 1, 1).toordinal(): Weighted("0 5, 1 18, 2 50, 3 22, 4 5"),
}
_HEAD_AGES = ((21, 30, 10), (30, 40, 27), (40, 50, 28), (50, 60, 21), (60, 70, 10), (70, 85, 4))
_ALONE_AGES = ((20, 35, 40), (35, 60, 25), (60, 90, 35))
_ALONE = {  # share of men and marital status of people living alone, by age band
    20: (0.6, Weighted("single 9, divorced 1")),
    35: (0.6, Weighted("single 4, divorced 4, widowed 2")),
    60: (0.3, Weighted("widowed 8, divorced 1, single 1")),
}


def _age(rng: random.Random, bands: tuple[tuple[int, int, int], ...]) -> float:
    """A uniform age inside a band chosen by weight."""
    x = rng.random() * sum(b[2] for b in bands)
    for lo, hi, w in bands:
        if x < w:
            return lo + rng.random() * (hi - lo)
        x -= w
    return float(bands[-1][1])


def _stay(age: float) -> float:
    """Probability that a child of this age still lives in the parents' household."""
    return (
        0.99 if age < 18 else 0.7 if age < 23 else 0.4 if age < 28 else 0.15 if age < 35 else 0.05
    )


class _HH:
    """A household being built."""

    __slots__ = ("addr", "births", "ci", "code", "eth", "members", "origin", "partner", "rel")

    def __init__(self, ci: int, code: str, addr: str, eth: str, rel: str) -> None:
        self.ci, self.code, self.addr, self.eth, self.rel = ci, code, addr, eth, rel
        self.members: list[PersonRow] = []
        self.births: list[int] = []  # ordinals, parallel to members
        self.partner: dict[int, int] = {}  # member index -> spouse's member index
        self.origin: str | None = None  # head's legacy province of birth if a migrant


class _Gen:
    """Tables for one province and seed, and the household builders."""

    def __init__(self, province_code: str, seed: int, today: date) -> None:
        communes = adminunits.communes(province_code)  # raises UnknownUnitError if unknown
        self.rng = random.Random(f"population:{province_code}:{seed}")
        self.today = today.toordinal()
        self.prov_name = adminunits.province(province_code).name
        self.codes = [c.code for c in communes]
        self.kinds = [c.kind for c in communes]
        self.local_homes = [f"{c.name}, {self.prov_name}" for c in communes]
        wrng = random.Random(f"communes:{province_code}:{seed}")
        weight = {"Phường": 2.5, "Xã": 1.0, "Đặc khu": 0.3}  # Hoàng Sa has no residents
        weights = [weight[c.kind] * (c.short_name != "Hoàng Sa") for c in communes]
        self.commune_cum = list(accumulate(w * wrng.lognormvariate(0, 0.6) for w in weights))
        self.legacy_names = {p.code: p.name for p in adminunits.legacy_provinces()}
        current = {p.code: p.name for p in adminunits.provinces()}
        self.homes: dict[str, list[str]] = {}  # legacy province -> "commune, province" today
        legacy_of: dict[str, str] = {}
        for c in adminunits.communes():
            try:
                lp = adminunits.legacy_ward(c.code).province_code
            except adminunits.UnknownUnitError:  # island zones created in 2025
                lp = c.province_code
            legacy_of[c.code] = lp
            self.homes.setdefault(lp, []).append(f"{c.name}, {current[c.province_code]}")
        self.legacy = [legacy_of[c] for c in self.codes]
        own = set(self.legacy)
        self.mix = Weighted(_ETHNIC_MIX.get(province_code, _DEFAULT_MIX))
        self.religion = {e: Weighted(s) for e, s in _RELIGION.items()}
        self.origins: dict[str, Weighted] = {}
        for eth, spec in _ORIGINS.items():
            pairs = [p.split() for p in spec.split(",")]
            kept = [f"{c} {w}" for c, w in pairs if c not in own]
            if eth == "Kinh":  # every other province sends a few
                listed = own | {c for c, _ in pairs}
                kept += [f"{c} 0.4" for c in self.legacy_names if c not in listed]
            if kept:
                self.origins[eth] = Weighted(",".join(kept))
        self.migration = _MIGRATION.get(province_code, 0.15)
        self.native = {e for e, s in _ORIGINS.items() if own & {p.split()[0] for p in s.split(",")}}
        self.native |= HIGHLAND_ETHNICITIES
        self.south = province_code >= "75"
        self.builders = {k: getattr(self, "_" + k) for k in _TYPES.items}
        self.serials: dict[tuple[str, int, str], list] = {}  # -> [PID prefix, count, offset]

    def pid(self, prov: str, birth: date, sex: str) -> str:
        """A PID unique in this run: a counter per 6-digit prefix, mapped through a bijection."""
        state = self.serials.get((prov, birth.year, sex))
        if state is None:
            prefix = make_pid(province_code=prov, birth_date=birth, sex=sex, serial=0)[:6]
            state = self.serials[prov, birth.year, sex] = [prefix, 0, int(prefix) * 7919]
        n = state[1]
        if n >= 1_000_000:
            raise RuntimeError(f"more than a million people share the PID prefix {state[0]}")
        state[1] = n + 1
        return f"{state[0]}{(n * _SERIAL_STEP + state[2]) % 1_000_000:06d}"

    def _commune(self) -> int:
        return bisect(self.commune_cum, self.rng.random() * self.commune_cum[-1])

    def _origin(self, year: int, eth: str, hint: str | None) -> str | None:
        """Legacy province of birth of a migrant, or None for someone born in the province."""
        base = self.migration
        if eth != "Kinh":
            base = base * 0.1 if eth in self.native else max(base, 0.8)
        cohort = 1.0 if year < 1975 else 0.75 if year < 1990 else 0.35 if year < 2005 else 0.08
        rng = self.rng
        if rng.random() >= base * cohort:
            return None
        if hint and rng.random() < 0.6:
            return hint
        table = self.origins.get(eth) or self.origins.get("Kinh")
        return table.pick(rng) if table else None

    def _mk(
        self,
        hh: _HH,
        sex: str,
        birth: int,
        relation: str,
        family: str,
        marital: str = "single",
        hometown: str | None = None,
    ) -> PersonRow:
        """Create a member, born on ordinal ``birth``, and append it to ``hh``."""
        rng = self.rng
        bdate = date.fromordinal(birth)
        origin = self._origin(bdate.year, hh.eth, hh.origin)
        if origin is None:  # born in the province, mostly in the home commune
            ci = hh.ci if rng.random() < 0.8 else self._commune()
            lp = self.legacy[ci]
            place = self.prov_name if birth >= _NEW_MAP else self.legacy_names[lp]
            home = hometown or self.local_homes[hh.ci if rng.random() < 0.5 else ci]
        else:
            lp, place = origin, self.legacy_names[origin]
            homes = self.homes[origin]
            home = hometown or homes[int(rng.random() * len(homes))]
        if relation == "head":
            hh.origin = origin
        religion = hh.rel
        if rng.random() < 0.06:
            religion = (self.religion.get(hh.eth) or self.religion[""]).pick(rng)
        p = PersonRow(
            self.pid("0" + lp, bdate, sex),
            full_name(rng, sex, family=family, ethnicity=hh.eth, birth_year=bdate.year),
            bdate,
            sex,
            hh.eth,
            religion,
            "VN",
            place,
            home,
            hh.code,
            hh.addr,
            relation,
            marital,
            None,
            None,
        )
        hh.members.append(p)
        hh.births.append(birth)
        return p

    def _fam(self, hh: _HH) -> str:
        return family_name(self.rng, ethnicity=hh.eth)

    @staticmethod
    def _pair(hh: _HH) -> None:
        """Mark the two most recently added members as spouses."""
        j = len(hh.members) - 1
        hh.partner[j - 1], hh.partner[j] = j, j - 1

    def _head_sex(self, hh: _HH, female_share: float = 0.08) -> str:
        share = 0.5 if hh.eth in HIGHLAND_ETHNICITIES else female_share
        return "F" if self.rng.random() < share else "M"

    def _couple(self, hh: _HH, age: float, head_sex: str) -> tuple[int, int, str, str]:
        """Head and spouse; returns (father birth, mother birth, lineage family, hometown)."""
        rng, t = self.rng, self.today
        gap = min(12.0, max(-4.0, rng.gauss(3, 3)))  # husband older by
        f_age = age if head_sex == "M" else max(18.5, age + gap)
        m_age = age if head_sex == "F" else max(18.2, age - gap)
        fb, mb = t - int(f_age * YEAR), t - int(m_age * YEAR)
        ffam, mfam = self._fam(hh), self._fam(hh)
        if head_sex == "M":
            father = self._mk(hh, "M", fb, "head", ffam, "married")
            mother = self._mk(hh, "F", mb, "spouse", mfam, "married")
        else:
            mother = self._mk(hh, "F", mb, "head", mfam, "married")
            father = self._mk(hh, "M", fb, "spouse", ffam, "married")
        self._pair(hh)
        if hh.eth in HIGHLAND_ETHNICITIES:
            return fb, mb, mfam, mother.hometown
        return fb, mb, ffam, father.hometown

    def _kids(self, hh: _HH, fb: int, mb: int, fam: str, home: str, rel: str = "child") -> None:
        """Children born when the mother was 18-42 (both parents 18+); those still at home."""
        rng, t = self.rng, self.today
        table = next(v for k, v in _KIDS.items() if mb < k)
        n = int(table.pick(rng)) + (hh.eth in HIGHLAND_ETHNICITIES)
        last = mb + int(42 * YEAR)
        birth = max(mb + int((18.5 + rng.random() * 8) * YEAR), fb + int(18.5 * YEAR))
        for _ in range(n):
            if birth > last or birth >= t:
                break
            age = (t - birth) / YEAR
            if rng.random() < _stay(age):
                sex = "M" if rng.random() < 0.52 else "F"
                marital = "divorced" if age > 25 and rng.random() < 0.05 else "single"
                self._mk(hh, sex, birth, rel, fam, marital, home)
            birth += int((1.2 - log(1.0 - rng.random()) / 0.6) * YEAR)  # 1.2y + exponential

    def _nuclear(
        self, hh: _HH, age: float | None = None, head_sex: str | None = None
    ) -> tuple[int, int, str, str]:
        age = _age(self.rng, _HEAD_AGES) if age is None else age
        fb, mb, fam, home = self._couple(hh, age, head_sex or self._head_sex(hh))
        self._kids(hh, fb, mb, fam, home)
        return fb, mb, fam, home

    def _three_up(self, hh: _HH) -> None:
        """A couple with children, living with one or both parents of the lineage side."""
        rng = self.rng
        matri = hh.eth in HIGHLAND_ETHNICITIES
        fb, mb, fam, home = self._nuclear(hh, 26 + rng.random() * 26, "F" if matri else "M")
        child = mb if matri else fb
        pmb = child - int((20 + rng.random() * 16) * YEAR)
        pfb = min(pmb - int(rng.gauss(3, 3) * YEAR), child - int(19 * YEAR))
        r = rng.random()
        both, mother = r < 0.45, r < 0.85
        status = "married" if both else ("widowed" if rng.random() < 0.85 else "divorced")
        ffam, mfam = (self._fam(hh), fam) if matri else (fam, self._fam(hh))
        if both or not mother:
            self._mk(hh, "M", pfb, "parent", ffam, status, None if matri else home)
        if both or mother:
            self._mk(hh, "F", pmb, "parent", mfam, status, home if matri else None)
        if both:
            self._pair(hh)

    def _three_down(self, hh: _HH) -> None:
        """An older couple, a married child with spouse, and grandchildren."""
        rng, t = self.rng, self.today
        matri = hh.eth in HIGHLAND_ETHNICITIES
        fb, mb, fam, home = self._couple(hh, 52 + rng.random() * 22, self._head_sex(hh, 0.15))
        at = 20 + rng.random() * (min(34.0, (t - mb) / YEAR - 22) - 20)
        cb = max(mb + int(at * YEAR), fb + int(18.5 * YEAR))
        sex = "F" if matri else "M"
        self._mk(hh, sex, cb, "child", fam, "married", home)
        gap = int(min(10.0, max(-3.0, rng.gauss(2.5, 2.5))) * YEAR)
        ib = min(cb + gap if sex == "M" else cb - gap, t - int(18.3 * YEAR))
        self._mk(hh, "F" if sex == "M" else "M", ib, "other", self._fam(hh), "married")
        self._pair(hh)
        self._kids(hh, *((cb, ib) if sex == "M" else (ib, cb)), fam, home, "grandchild")

    def _single_parent(self, hh: _HH) -> None:
        rng, t = self.rng, self.today
        sex = "M" if rng.random() < 0.15 else "F"
        age = 24 + rng.random() * 36
        b = t - int(age * YEAR)
        status = "divorced" if rng.random() < 0.65 else "widowed"
        fam = self._fam(hh)
        head = self._mk(hh, sex, b, "head", fam, status)
        other = t - int(max(18.5, age + (3 if sex == "F" else -3)) * YEAR)
        fb, mb = (b, other) if sex == "M" else (other, b)
        own_line = (hh.eth in HIGHLAND_ETHNICITIES) == (sex == "F")
        if own_line:
            self._kids(hh, fb, mb, fam, head.hometown)
        else:  # the absent parent's line
            self._kids(hh, fb, mb, self._fam(hh), self.local_homes[self._commune()])

    def _alone(self, hh: _HH) -> None:
        rng = self.rng
        age = _age(rng, _ALONE_AGES)
        men, status = _ALONE[60 if age >= 60 else 35 if age >= 35 else 20]
        sex = "M" if rng.random() < men else "F"
        self._mk(hh, sex, self.today - int(age * YEAR), "head", self._fam(hh), status.pick(rng))

    def _siblings(self, hh: _HH) -> None:
        rng, t = self.rng, self.today
        age = 18 + rng.random() * 20
        fam = self._fam(hh)
        sex = "M" if rng.random() < 0.5 else "F"
        head = self._mk(hh, sex, t - int(age * YEAR), "head", fam)
        for _ in range(1 + (rng.random() < 0.35)):
            b = t - int(max(15.0, age + rng.uniform(-8, 8)) * YEAR)
            sex = "M" if rng.random() < 0.5 else "F"
            self._mk(hh, sex, b, "sibling", fam, hometown=head.hometown)
        if rng.random() < 0.3:
            sex = "M" if rng.random() < 0.5 else "F"
            self._mk(hh, sex, t - int((15 + rng.random() * 15) * YEAR), "other", self._fam(hh))

    def _finish(self, hh: _HH) -> None:
        """Deaths (widowing the partner) and chip-card issue dates."""
        rng, t = self.rng, self.today
        members, births = hh.members, hh.births
        youngest = max(births)
        for i, p in enumerate(members):
            b = births[i]
            age = (t - b) / YEAR
            q = 0.002 if age < 55 else 0.03 if age < 70 else 0.1
            j = hh.partner.get(i)
            if i and rng.random() < q and (j is None or members[j].death_date is None):
                lo = max(b + 1, t - 3650, youngest + 1 if j is not None else 0)
                if lo < t:
                    p.death_date = date.fromordinal(lo + int(rng.random() * (t - lo)))
                    if j is not None:
                        members[j].marital_status = "widowed"
                    continue
            lo = max(_CARD_START, b + 5115)  # 14 years of age, with leap days to spare
            if lo <= t and rng.random() < 0.93:
                p.card_issued_on = date.fromordinal(lo + int((t - lo + 1) * rng.random() ** 1.5))

    def household(self, key: int) -> HouseholdRow:
        rng = self.rng
        ci = self._commune()
        eth = self.mix.pick(rng)
        rel = (self.religion.get(eth) or self.religion[""]).pick(rng)
        upland = eth in self.native and eth in _ORIGINS and eth not in ("Kinh", "Hoa", "Khmer")
        addr = address_detail(rng, self.kinds[ci], eth, south=self.south, upland=upland)
        hh = _HH(ci, self.codes[ci], addr, eth, rel)
        self.builders[_TYPES.pick(rng)](hh)
        self._finish(hh)
        return HouseholdRow(key, hh.code, addr, hh.members)


def generate(
    province_code: str = "66",
    citizens: int = 2000,
    seed: int = 6,
    today: date = date(2025, 10, 1),
) -> Iterator[HouseholdRow]:
    """Yield households of ``province_code`` until exactly ``citizens`` persons were yielded.

    Deterministic for (province_code, citizens, seed, today); memory stays flat.
    """
    if citizens < 0:
        raise ValueError("citizens must be >= 0")
    gen = _Gen(province_code, seed, today)
    remaining, key = citizens, 0
    while remaining > 0:
        key += 1
        row = gen.household(key)
        if len(row.members) > remaining:
            del row.members[remaining:]
        remaining -= len(row.members)
        yield row

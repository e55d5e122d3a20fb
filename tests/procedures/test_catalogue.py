"""The catalogue file: at least 40 real procedures, validated on load, searchable."""

from __future__ import annotations

import pytest

from dancu.common.errors import ValidationFailed
from dancu.procedures import catalogue


def test_the_shipped_catalogue_is_complete_and_consistent() -> None:
    cat = catalogue.catalogue()
    assert len(cat.procedures) >= 40
    codes = {p.code for p in cat.procedures}
    assert {"1.001193", "1.000656", "1.000894", "1.004194", "1.004222", "2.000488"} <= codes
    for p in cat.procedures:
        assert p.fields and p.components, p.code
        for c in p.components:
            if c.satisfied_by and c.satisfied_by.startswith("result:"):
                assert c.satisfied_by.removeprefix("result:") in codes, (p.code, c.key)
    levels = {p.level for p in cat.procedures}
    assert levels == {"commune", "province"}
    assert any(p.kind == "birth_bundle" for p in cat.procedures)
    assert any(p.kind == "death_bundle" for p in cat.procedures)


def test_search_folds_diacritics_and_filters() -> None:
    assert [p.code for p in catalogue.search("ket hon")] == ["1.000894"]
    assert [p.code for p in catalogue.search("KẾT HÔN")] == ["1.000894"]
    assert all(p.level == "province" for p in catalogue.search("", level="province"))
    assert catalogue.search("tam tru", sector="residence")
    assert catalogue.search("\x00") == catalogue.search("")


GOOD = """
procedures:
  - code: "1.001193"
    name: "Đăng ký khai sinh"
    sector: civil_status
    level: commune
    online: full
    days: 1
    fee: {amount: 0}
    result: certificate
    components: [{key: application, name: "Tờ khai", satisfied_by: "form:online"}]
    fields: [{key: full_name, label: "Họ tên", type: text, required: true}]
sectors: {civil_status: "Hộ tịch"}
exemptions: {}
"""


@pytest.mark.parametrize(
    "change",
    [
        ('code: "1.001193"', 'code: "ABC"'),
        ("sector: civil_status\n", "sector: astrology\n"),
        ('satisfied_by: "form:online"', 'satisfied_by: "wallet:passport_of_mars"'),
        ("fee: {amount: 0}", "fee: {amount: -5}"),
        ("days: 1", "days: 0"),
        ("level: commune", "level: district"),
    ],
)
def test_a_wrong_entry_refuses_the_whole_file(change: tuple[str, str]) -> None:
    assert len(catalogue.parse(GOOD).procedures) == 1
    with pytest.raises(ValidationFailed) as err:
        catalogue.parse(GOOD.replace(*change))
    assert err.value.code == "procedures.catalogue_invalid"


def test_duplicate_codes_are_refused() -> None:
    doubled = GOOD.replace(
        "sectors:", GOOD.split("procedures:\n")[1].split("sectors:")[0] + "sectors:"
    )
    with pytest.raises(ValidationFailed):
        catalogue.parse(doubled)

"""The catalogue file: at least 40 real procedures, validated on load, searchable, every
text a page shows in Vietnamese and in English."""

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


def test_every_text_a_page_shows_has_its_english() -> None:
    """Procedure names, components, form fields (the shared applicant fields included), fee
    notes and choices, sectors and exemptions: English beside the Vietnamese, and English."""
    cat = catalogue.catalogue()
    texts = [(t.name, t.name_en) for t in [*cat.sectors.values(), *cat.exemptions.values()]]
    for p in cat.procedures:
        texts += [(p.name, p.name_en), (p.fee.note, p.fee.note_en)]
        texts += [(c.label, c.label_en) for c in p.fee.choices]
        texts += [(c.name, c.name_en) for c in p.components]
        texts += [(f.label, f.label_en) for f in p.fields]
    missing = [vi for vi, en in texts if vi and (not en or catalogue._reads_vietnamese(en))]
    assert missing == []
    birth = cat.get("1.001193")
    assert birth is not None
    assert (birth.name_in("en"), birth.name_in("vi")) == ("Birth registration", "Đăng ký khai sinh")
    names = birth.field_names("en")
    assert names["full_name"] == "Applicant's full name"  # defaults.applicant_fields
    assert names["file_id_card"] == "Identity card or citizen identity card"
    assert cat.sector_names("en")["civil_status"] == "Civil status"
    assert cat.sector_names("vi")["civil_status"] == "Hộ tịch"


def test_a_reused_item_is_named_in_the_readers_language() -> None:
    """A dossier stores what was reused with its Vietnamese label; pages name it anew."""
    birth = catalogue.get("1.001193")
    field = {"kind": "field", "key": "pid", "label": "Số định danh cá nhân"}
    component = {"kind": "component", "key": "id_card", "label": "Thẻ căn cước"}
    gone = {"kind": "component", "key": "retired", "label": "Giấy tờ cũ"}
    assert birth.reused_label(field, "en") == "Personal identification number"
    assert birth.reused_label(field, "vi") == "Số định danh cá nhân"
    assert birth.reused_label(component, "en") == "Identity card or citizen identity card"
    assert birth.reused_label(gone, "en") == "Giấy tờ cũ"


def test_search_folds_diacritics_and_filters() -> None:
    assert [p.code for p in catalogue.search("ket hon")] == ["1.000894"]
    assert [p.code for p in catalogue.search("KẾT HÔN")] == ["1.000894"]
    assert all(p.level == "province" for p in catalogue.search("", level="province"))
    assert catalogue.search("tam tru", sector="residence")
    assert catalogue.search("\x00") == catalogue.search("")


def test_search_finds_the_english_names_too() -> None:
    assert [p.code for p in catalogue.search("marriage registration")] == ["1.000894"]
    assert "1.004222" in [p.code for p in catalogue.search("temporary residence")]


GOOD = """
defaults:
  applicant_fields: &applicant
    - {key: pid, label: "Số định danh cá nhân", label_en: "Personal identification number"}
procedures:
  - code: "1.001193"
    name: "Đăng ký khai sinh"
    name_en: "Birth registration"
    sector: civil_status
    level: commune
    online: full
    days: 1
    fee:
      amount: 0
      note: "Miễn lệ phí"
      note_en: "No fee"
      choices: [{key: extra, label: "Bản thêm", label_en: "Extra copy", amount: 5}]
    result: certificate
    components:
      - {key: application, name: "Tờ khai", name_en: "Declaration", satisfied_by: "form:online"}
    fields:
      - *applicant
      - {key: full_name, label: "Họ tên", label_en: "Full name", type: text, required: true}
sectors: {civil_status: {name: "Hộ tịch", name_en: "Civil status"}}
exemptions: {child: {name: "Trẻ em dưới 16 tuổi", name_en: "Children under 16"}}
"""


@pytest.mark.parametrize(
    "change",
    [
        ('code: "1.001193"', 'code: "ABC"'),
        ("sector: civil_status\n", "sector: astrology\n"),
        ('satisfied_by: "form:online"', 'satisfied_by: "wallet:passport_of_mars"'),
        ("amount: 0\n", "amount: -5\n"),
        ("days: 1", "days: 0"),
        ("level: commune", "level: district"),
    ],
)
def test_a_wrong_entry_refuses_the_whole_file(change: tuple[str, str]) -> None:
    assert len(catalogue.parse(GOOD).procedures) == 1
    with pytest.raises(ValidationFailed) as err:
        catalogue.parse(GOOD.replace(*change))
    assert err.value.code == "procedures.catalogue_invalid"


@pytest.mark.parametrize(
    ("old", "new", "named"),
    [
        ('    name_en: "Birth registration"\n', "", "1.001193: no English text (name_en)"),
        ('name_en: "Birth registration"', 'name_en: "  "', "1.001193: no English text (name_en)"),
        (', name_en: "Declaration"', "", "1.001193 component application: no English text"),
        (', label_en: "Full name"', "", "1.001193 field full_name: no English text (label_en)"),
        (
            ', label_en: "Personal identification number"',
            "",
            "defaults.applicant_fields pid: no English text (label_en)",
        ),
        ('      note_en: "No fee"\n', "", "1.001193 fee: no English text (note_en)"),
        (', label_en: "Extra copy"', "", "1.001193 fee choice extra: no English text (label_en)"),
        (', name_en: "Civil status"', "", "sector civil_status: no English text (name_en)"),
        (', name_en: "Children under 16"', "", "exemption child: no English text (name_en)"),
        (
            'name_en: "Birth registration"',
            'name_en: "Đăng ký khai sinh"',
            "1.001193: name_en is not English: 'Đăng ký khai sinh'",
        ),
    ],
)
def test_a_text_without_its_english_refuses_the_file_naming_entry_and_field(
    old: str, new: str, named: str
) -> None:
    assert old in GOOD
    with pytest.raises(ValidationFailed) as err:
        catalogue.parse(GOOD.replace(old, new))
    assert err.value.code == "procedures.catalogue_invalid"
    assert named in err.value.message


def test_a_shared_default_without_english_is_reported_once() -> None:
    bare = GOOD.replace(', label_en: "Personal identification number"', "")
    with pytest.raises(ValidationFailed) as err:
        catalogue.parse(bare)
    assert err.value.message.count("pid") == 1


def test_duplicate_codes_are_refused() -> None:
    doubled = GOOD.replace(
        "sectors:", GOOD.split("procedures:\n")[1].split("sectors:")[0] + "sectors:"
    )
    with pytest.raises(ValidationFailed):
        catalogue.parse(doubled)

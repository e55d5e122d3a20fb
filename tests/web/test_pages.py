"""The officer pages over HTTP: sign-in, search, a citizen's record and its access history.

Pages are read the way an officer reads them: the tables' cell texts and the error shown,
parsed from the HTML. Every test runs on SQLite and on PostgreSQL (the ``client`` fixture).
"""

from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser

import pytest
from sqlalchemy import event, func, select

from dancu.common.access import Role
from dancu.common.audit import AuditEntry
from dancu.registry import cards
from dancu.registry.schemas import CardApplicationIn
from tests.conftest import OTHER_PROVINCE_COMMUNE, bearer, make_actor
from tests.registry.factories import household, person

CLERK_NAME = "Nguyễn Thị Hồng (cán bộ tư pháp tỉnh)"
CLERK_ORG = "Sở Tư pháp Tỉnh Đắk Lắk"
# A moment as Vietnamese pages write it (CLDR vi: the time, then the date).
WHEN = re.compile(r"\d\d:\d\d:\d\d \d\d/\d\d/\d{4}")


class _Page(HTMLParser):
    """Collects the texts of tables and of elements marked with ``data-testid``."""

    VOID = frozenset({"br", "input", "img", "meta", "link", "hr"})
    CELLS = frozenset({"dt", "dd", "td", "th", "li", "p"})

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.links: dict[str, str] = {}  # link text -> href
        self.texts: dict[str, str] = {}  # data-testid -> text
        self._open: list[tuple[str, str | None, list[str]]] = []
        self._table: str | None = None
        self._row: list[str] | None = None
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "br":
            self._text(" ")
        if tag in self.VOID:
            return
        if tag == "table":
            self._table = a.get("data-testid") or "table"
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self._row = []
        elif tag == "a":
            self._href = a.get("href")
        self._open.append((tag, a.get("data-testid"), []))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID or not self._open:
            return
        while self._open:
            open_tag, testid, parts = self._open.pop()
            text = " ".join("".join(parts).split())
            if self._open:
                gap = " " if open_tag in self.CELLS else ""
                self._open[-1][2].append("".join(parts) + gap)
            if open_tag == tag:
                break
        if testid:
            self.texts[testid] = text
        if tag == "a" and self._href is not None:
            self.links[text] = self._href
            self._href = None
        elif tag in ("td", "th") and self._row is not None:
            self._row.append(text)
        elif tag == "tr" and self._table and self._row is not None:
            if self._row and self._open and any(t == "tbody" for t, _, _ in self._open):
                self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        self._text(data)

    def _text(self, data: str) -> None:
        if self._open:
            self._open[-1][2].append(data)


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def sign_in(client, officer: str = "province-clerk") -> None:  # type: ignore[no-untyped-def]
    response = client.post("/dev/login", data={"officer": officer}, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/")


def audit_count(session, pid: str) -> int:  # type: ignore[no-untyped-def]
    stmt = select(func.count()).select_from(AuditEntry).where(AuditEntry.subject_id == pid)
    return session.scalar(stmt)


# --- Search ---------------------------------------------------------------------------------


def test_search_finds_a_name_typed_without_diacritics_and_links_to_the_record(client, session):
    anh_acute = person(session, "Nguyễn Thị Ánh", birth_date=date(1988, 3, 9), sex="F")
    anh_plain = person(session, "Nguyễn Thị Anh", birth_date=date(1992, 11, 2), sex="F")
    person(session, "Nguyễn Thị Lan Anh", birth_date=date(1990, 1, 1), sex="F")
    person(session, "Đặng Văn Ánh", birth_date=date(1975, 7, 30))
    sign_in(client)

    response = client.get("/registry/search", params={"name": "nguyen thi anh"})

    assert response.status_code == 200
    page = parse(response.text)
    assert page.texts["total"] == "2 kết quả"
    assert page.tables["results"] == [
        ["Nguyễn Thị Ánh", "09/03/1988", "Nữ", "Phường Tân Lập", "Còn sống"],
        ["Nguyễn Thị Anh", "02/11/1992", "Nữ", "Phường Tân Lập", "Còn sống"],
    ]
    purpose = "?purpose=administrative_procedure"
    assert page.links["Nguyễn Thị Ánh"] == f"/registry/citizens/{anh_acute.pid}{purpose}"
    assert page.links["Nguyễn Thị Anh"] == f"/registry/citizens/{anh_plain.pid}{purpose}"
    assert 'class="pager"' not in response.text  # one page: no pager


def test_search_folds_d_with_stroke_and_keeps_the_purpose_in_the_links(client, session):
    dang = person(session, "Đặng Văn Ánh", birth_date=date(1975, 7, 30))
    sign_in(client)

    response = client.get(
        "/registry/search", params={"name": "dang van anh", "purpose": "residence"}
    )

    page = parse(response.text)
    assert page.tables["results"] == [
        ["Đặng Văn Ánh", "30/07/1975", "Nam", "Phường Tân Lập", "Còn sống"]
    ]
    assert page.links["Đặng Văn Ánh"] == f"/registry/citizens/{dang.pid}?purpose=residence"


@pytest.mark.parametrize("typed", ["17/05/1990", "17-05-1990", "17.5.1990", "1990-05-17"])
def test_search_by_birth_date_accepts_the_ways_officers_type_it(client, session, typed):
    person(session, "Lê Văn Tám", birth_date=date(1990, 5, 17))
    person(session, "Lê Văn Chín", birth_date=date(1990, 5, 18))
    sign_in(client)

    response = client.get("/registry/search", params={"birth_date": typed})

    assert response.status_code == 200
    assert [row[0] for row in parse(response.text).tables["results"]] == ["Lê Văn Tám"]


@pytest.mark.parametrize("typed", ["31/02/1990", "1990", "17/05/90", "mười bảy"])
def test_search_with_an_invalid_birth_date_names_the_field_and_the_rule(client, session, typed):
    sign_in(client)

    response = client.get("/registry/search", params={"name": "", "birth_date": typed})

    assert response.status_code == 422
    page = parse(response.text)
    assert page.texts["error"] == (
        "Ngày sinh: Ngày tháng phải là một ngày có thật, viết theo dạng dd/mm/yyyy"
        " (ví dụ: 17/05/1990)."
    )
    assert 'data-code="date.invalid"' in response.text
    # the cursor lands in the field to correct
    assert re.search(r'name="birth_date"[^>]*aria-invalid="true"[^>]*autofocus>', response.text)
    assert re.search(r'name="name"[^>]*data-testid="name">', response.text)
    assert "results" not in page.tables


def test_search_with_a_future_birth_date_is_refused(client, session):
    sign_in(client)

    response = client.get("/registry/search", params={"birth_date": "01/01/2999"})

    assert response.status_code == 422
    assert parse(response.text).texts["error"] == "Ngày sinh: Ngày sinh không được ở tương lai."


def test_an_empty_submitted_search_asks_for_a_criterion(client, session):
    sign_in(client)

    response = client.get(
        "/registry/search", params={"name": " ", "birth_date": "", "commune_code": ""}
    )

    assert response.status_code == 422
    assert parse(response.text).texts["error"] == (
        "Họ và tên: Nhập họ tên, ngày sinh hoặc chọn xã/phường để tra cứu."
    )


def test_the_search_page_without_a_query_shows_only_the_form(client, session):
    sign_in(client)

    response = client.get("/registry/search")

    assert response.status_code == 200
    page = parse(response.text)
    assert (page.tables, "error" in page.texts, "total" in page.texts) == ({}, False, False)
    assert page.texts["actor"] == f"Đăng nhập với tư cách {CLERK_NAME}"
    assert re.search(r'name="name"[^>]*autofocus>', response.text)


def test_search_lists_only_citizens_in_the_officers_area(client, session):
    person(session, "Phạm Văn Xa", commune_code=OTHER_PROVINCE_COMMUNE)
    sign_in(client)

    response = client.get("/registry/search", params={"name": "pham van xa"})

    page = parse(response.text)
    assert (page.texts["total"], page.texts.get("results")) == ("0 kết quả", None)
    assert "Không tìm thấy công dân phù hợp." in response.text


def test_search_writes_one_listed_entry_per_citizen_shown(client, session):
    shown = person(session, "Võ Thị Sáu", sex="F")
    sign_in(client)

    client.get("/registry/search", params={"name": "vo thi sau", "purpose": "verification"})

    [entry] = session.scalars(select(AuditEntry).where(AuditEntry.subject_id == shown.pid))
    assert (entry.action, entry.purpose, entry.actor_name) == (
        "citizen.listed",
        "verification",
        CLERK_NAME,
    )


def test_search_pages_through_results_keeping_the_query(client, session):
    for day in range(1, 24):
        person(session, "Hoàng Văn Nam", birth_date=date(1980, 1, day))
    sign_in(client)

    first = client.get("/registry/search", params={"name": "hoang van nam"})
    second = client.get("/registry/search", params={"name": "hoang van nam", "page": "2"})

    one, two = parse(first.text), parse(second.text)
    assert (one.texts["total"], len(one.tables["results"])) == ("23 kết quả", 20)
    assert [r[1] for r in two.tables["results"]] == ["21/01/1980", "22/01/1980", "23/01/1980"]
    assert one.links["Trang sau"] == (
        "?name=hoang%20van%20nam&birth_date=&commune_code=&purpose=administrative_procedure&page=2"
    )
    assert two.links["Trang trước"].endswith("&page=1")


def test_the_search_page_makes_the_same_queries_for_one_result_as_for_twenty(
    client, session, connection
):
    person(session, "Trịnh Văn Một")
    for day in range(1, 21):
        person(session, "Trịnh Văn Hai", birth_date=date(1970, 2, day))
    sign_in(client)
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(connection, "before_cursor_execute", listener)
    try:
        client.get("/registry/search", params={"name": "trinh van mot"})
        one = len(statements)
        statements.clear()
        response = client.get("/registry/search", params={"name": "trinh van hai"})
        twenty = len(statements)
    finally:
        event.remove(connection, "before_cursor_execute", listener)

    assert len(parse(response.text).tables["results"]) == 20
    assert twenty == one


# --- The record page ------------------------------------------------------------------------


@pytest.fixture
def family(session, clerk):  # type: ignore[no-untyped-def]
    head = person(session, "Trần Văn Hùng", birth_date=date(1965, 2, 1))
    daughter = person(session, "Trần Thị Bích Ngọc", birth_date=date(1995, 8, 20), sex="F")
    household(session, head, (daughter, "child"))
    card = cards.apply_for_card(
        session,
        CardApplicationIn(pid=daughter.pid, applied_on=date(2024, 6, 3)),
        actor=clerk,
        today=date(2024, 6, 3),
    )
    cards.transition_card(session, card.id, "produce", actor=clerk, on=date(2024, 6, 10))
    cards.transition_card(session, card.id, "issue", actor=clerk, on=date(2024, 6, 17))
    session.flush()
    return head, daughter


def test_record_page_shows_the_citizen_household_card_and_access_history(client, family):
    head, daughter = family
    sign_in(client)

    response = client.get(f"/registry/citizens/{daughter.pid}?purpose=civil_status")

    assert response.status_code == 200
    page = parse(response.text)
    assert page.texts["citizen-name"] == "Trần Thị Bích Ngọc"
    assert page.texts["pid"] == daughter.pid
    assert page.texts["purpose"] == "Khai thác cho mục đích: Đăng ký hộ tịch"
    assert page.texts["household-no"] == f"24121{head.id:08d}"
    assert page.tables["household"] == [
        ["Trần Văn Hùng", "01/02/1965", "Chủ hộ", "Còn sống"],
        ["Trần Thị Bích Ngọc", "20/08/1995", "Con", "Còn sống"],
    ]
    assert page.links["Trần Văn Hùng"] == f"/registry/citizens/{head.pid}?purpose=civil_status"
    # issued at 28: valid until the holder turns 40
    assert page.texts["card"] == (
        f"Số thẻ {daughter.pid} Tình trạng Đã cấp Ngày cấp 17/06/2024 Có giá trị đến 20/08/2035"
    )
    trail = page.tables["audit-trail"]
    assert [WHEN.fullmatch(row[0]) is not None for row in trail] == [True] * 5
    assert [row[1:] for row in trail] == [
        [f"{CLERK_NAME} {CLERK_ORG}", "Xem thông tin hộ gia đình", "Đăng ký hộ tịch"],
        [f"{CLERK_NAME} {CLERK_ORG}", "Xem thông tin công dân", "Đăng ký hộ tịch"],
        ["Test officer Test org", "Cấp thẻ căn cước", "Cấp thẻ căn cước"],
        ["Test officer Test org", "Sản xuất thẻ căn cước", "Cấp thẻ căn cước"],
        ["Test officer Test org", "Tiếp nhận hồ sơ cấp thẻ căn cước", "Cấp thẻ căn cước"],
    ]
    assert "Lịch sử truy cập dữ liệu" in response.text


def test_each_load_of_the_record_page_is_one_more_read_in_the_history(client, family):
    _, daughter = family
    sign_in(client)

    client.get(f"/registry/citizens/{daughter.pid}")
    response = client.get(f"/registry/citizens/{daughter.pid}")

    actions = [row[2] for row in parse(response.text).tables["audit-trail"]]
    assert actions[:4] == [
        "Xem thông tin hộ gia đình",
        "Xem thông tin công dân",
        "Xem thông tin hộ gia đình",
        "Xem thông tin công dân",
    ]


def test_record_page_of_a_citizen_without_household_or_card(client, session):
    loner = person(session, "Lý Thị Mai", sex="F")
    sign_in(client)

    response = client.get(f"/registry/citizens/{loner.pid}")

    page = parse(response.text)
    assert page.texts["card"] == "Chưa có thẻ"
    assert "household" not in page.tables
    assert [row[1:] for row in page.tables["audit-trail"]] == [
        [f"{CLERK_NAME} {CLERK_ORG}", "Xem thông tin công dân", "Giải quyết thủ tục hành chính"]
    ]


def test_record_page_without_audit_rights_shows_no_access_history(client, session):
    citizen = person(session, "Lý Văn Bảy")
    officer = make_actor(Role.PROCEDURE_OFFICER, name="Cán bộ một cửa")

    response = client.get(f"/registry/citizens/{citizen.pid}", headers=bearer(officer))

    assert response.status_code == 200
    assert parse(response.text).texts["citizen-name"] == "Lý Văn Bảy"
    assert "audit-trail" not in response.text
    assert "Lịch sử truy cập dữ liệu" not in response.text


def test_record_page_with_an_unknown_purpose_is_refused_and_not_audited(client, session):
    citizen = person(session, "Lý Văn Tư")
    sign_in(client)

    response = client.get(f"/registry/citizens/{citizen.pid}?purpose=curiosity")

    assert response.status_code == 422
    assert parse(response.text).texts["error"] == (
        "Mục đích khai thác: Mục đích khai thác không hợp lệ."
    )
    assert audit_count(session, citizen.pid) == 0


NOT_IN_AREA = (
    "Số định danh cá nhân: Không tìm thấy công dân với số định danh này trong địa bàn của bạn."
)


@pytest.mark.parametrize(
    ("who", "status", "error", "reads"),
    [
        ("anonymous", 303, None, 0),
        ("steering-viewer", 403, "Bạn không có quyền thực hiện thao tác này.", 0),
        ("other-province", 404, NOT_IN_AREA, 1),  # the refused look-up is audited too
        ("province-clerk", 200, None, 1),
    ],
)
def test_who_may_open_a_record(client, session, who, status, error, reads):
    citizen = person(session, "Hồ Văn Năm")
    headers = {}
    if who in ("steering-viewer", "province-clerk"):
        sign_in(client, who)
    elif who == "other-province":
        headers = bearer(make_actor(Role.REGISTRY_CLERK, units=("01",)))

    response = client.get(
        f"/registry/citizens/{citizen.pid}", headers=headers, follow_redirects=False
    )

    assert response.status_code == status
    if error:
        assert parse(response.text).texts["error"] == error
    assert audit_count(session, citizen.pid) == reads


@pytest.mark.parametrize(
    ("who", "status"), [("anonymous", 303), ("steering-viewer", 403), ("province-clerk", 200)]
)
def test_who_may_search(client, session, who, status):
    citizen = person(session, "Hồ Văn Sáu")
    if who != "anonymous":
        sign_in(client, who)

    response = client.get("/registry/search", params={"name": "ho van sau"}, follow_redirects=False)

    assert response.status_code == status
    assert audit_count(session, citizen.pid) == (1 if status == 200 else 0)


# --- Sign-in, language ----------------------------------------------------------------------


def test_unauthenticated_search_redirects_to_the_sign_in_and_comes_back(client, session):
    response = client.get("/registry/search", params={"name": "an"}, follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fregistry%2Fsearch%3Fname%3Dan"
    login = client.get("/dev/login", params={"next": "/registry/search?name=an"})
    assert 'name="next" value="/registry/search?name=an"' in login.text
    back = client.post(
        "/dev/login",
        data={"officer": "province-clerk", "next": "/registry/search?name=an"},
        follow_redirects=False,
    )
    assert (back.status_code, back.headers["location"]) == (303, "/registry/search?name=an")


def test_the_dev_sign_in_page_lists_the_demo_officers_in_vietnamese(client, session):
    response = client.get("/dev/login")

    assert response.status_code == 200
    assert 'data-testid="officer-province-clerk">Nguyễn Thị Hồng (cán bộ tư pháp tỉnh)' in (
        response.text
    )
    assert "Vai trò: Cán bộ tư pháp – hộ tịch · Địa bàn: Tỉnh Đắk Lắk" in " ".join(
        response.text.split()
    )
    assert "Vai trò: Ban Chỉ đạo Đề án 06 · Địa bàn: Tỉnh Đắk Lắk" in " ".join(
        response.text.split()
    )


def test_the_dev_sign_in_refuses_an_unknown_officer(client, session):
    response = client.post("/dev/login", data={"officer": "mayor"}, follow_redirects=False)

    assert response.status_code == 422
    assert parse(response.text).texts["error"] == (
        "Cán bộ: Không có cán bộ mẫu này. Hãy chọn một cán bộ trong danh sách."
    )
    after = client.get("/registry/search", follow_redirects=False)
    assert after.status_code == 303


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "registry"])
def test_the_dev_sign_in_never_redirects_off_site(client, session, target):
    response = client.post(
        "/dev/login", data={"officer": "province-clerk", "next": target}, follow_redirects=False
    )

    assert response.headers["location"] == "/"


def test_sign_out_ends_the_session(client, session):
    sign_in(client)

    response = client.post("/logout", follow_redirects=False)

    assert (response.status_code, response.headers["location"]) == (303, "/")
    assert client.get("/registry/search", follow_redirects=False).status_code == 303


def test_lang_en_switches_to_english_and_is_remembered(client, session):
    citizen = person(session, "Nguyễn Văn Mười")
    sign_in(client)

    response = client.get("/registry/search", params={"name": "nguyen van muoi", "lang": "en"})

    assert response.status_code == 200
    assert 'lang="en"' in response.text.split("\n", 2)[1]
    assert response.cookies.get("lang") == "en"
    page = parse(response.text)
    assert page.texts["total"] == "1 result"
    assert page.tables["results"] == [
        ["Nguyễn Văn Mười", "17/05/1990", "Male", "Phường Tân Lập", "Alive"]
    ]
    assert "<h1>Search citizens</h1>" in response.text
    later = client.get(f"/registry/citizens/{citizen.pid}")
    assert "<h2>Citizen record</h2>" in later.text
    assert parse(later.text).tables["audit-trail"][0][2:] == [
        "Viewed the record",
        "Settling an administrative procedure",
    ]
    back = client.get("/registry/search", params={"lang": "vi"})
    assert ("<h1>Tra cứu công dân</h1>" in back.text, back.cookies.get("lang")) == (True, "vi")


def test_language_links_keep_the_current_query(client, session):
    sign_in(client)

    response = client.get("/registry/search", params={"name": "an", "purpose": "residence"})

    page = parse(response.text)
    assert page.links["English"] == "/registry/search?name=an&purpose=residence&lang=en"
    assert page.links["Tiếng Việt"] == "/registry/search?name=an&purpose=residence&lang=vi"


def test_an_unknown_language_falls_back_to_vietnamese(client, session):
    sign_in(client)

    response = client.get("/registry/search", params={"lang": "fr"})

    assert "<h1>Tra cứu công dân</h1>" in response.text
    assert response.cookies.get("lang") is None


def test_errors_are_shown_in_english_when_asked(client, session):
    sign_in(client)

    response = client.get("/registry/search", params={"birth_date": "31/02/1990", "lang": "en"})

    assert parse(response.text).texts["error"] == (
        "Birth date: The birth date must be a real date written dd/mm/yyyy (e.g. 17/05/1990)"
    )


def test_pages_load_nothing_from_another_site(client, session):
    sign_in(client)

    response = client.get("/registry/search")

    assert re.findall(r'(?:src|href)="(?:https?:)?//', response.text) == []
    assert client.get("/static/app.css").status_code == 200

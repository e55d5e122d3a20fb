"""Citizens who submit dossiers, the scans they upload, the two doors they use, and the
check that every acknowledged dossier is whole: shared by ``bench/dossiers.py`` and the
crash test ``tests/procedures/test_submit_durability.py``.

A citizen's door is the portal itself: signed in with password and SMS code (read from
the messages outbox, as the phone would receive it), the apply form's CSRF token, then the
multipart submit with an idempotency key and the scan. The National Public Service
Portal's door is ``POST /api/procedures/npsp/dossiers`` with a client-credentials token.
The server runs with production settings, so its session cookie is ``Secure``: clients
here carry it by hand over plain HTTP on 127.0.0.1 (as a TLS-terminating proxy would).
"""

from __future__ import annotations

import base64
import hashlib
import io
import random
import re
import urllib.parse
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import psycopg
from sqlalchemy.orm import Session

PROCEDURE = "1.004222"  # temporary residence: level 1, one scan always asked (legal residence)
COMPONENT = "legal_residence"
FORM = {"temp_address": "25 Nguyễn Tất Thành, phường Tân Lập"}
COMMUNE = "24121"  # Phường Tân Lập, Đắk Lắk (66)
PASSWORD = "bench horse battery staple"
SCAN_BYTES = 200_000
MARK = b"scan-" + b"0" * 32  # the PDF's title, rewritten per upload (same length: offsets hold)
SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng")
GIVEN = ("An", "Bình", "Chi", "Dung", "Hà", "Hạnh", "Lan", "Mai", "Ngọc", "Thảo", "Yến")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CODE = re.compile(r"\b(\d{6})\b")


# ---------------------------------------------------------------------------- the scan


def scan_pdf(size: int = SCAN_BYTES, seed: int = 6) -> bytes:
    """A real PDF of at least ``size`` bytes: a page with a line of text and a photographed
    document (a JPEG of noise, which does not compress), titled ``MARK``."""
    from fpdf import FPDF
    from PIL import Image

    rnd = random.Random(seed)
    width, height = 480, 100
    while True:
        image = Image.frombytes("RGB", (width, height), rnd.randbytes(width * height * 3))
        jpeg = io.BytesIO()
        image.save(jpeg, "JPEG", quality=90)
        pdf = FPDF()
        pdf.add_page()
        pdf.set_title(MARK.decode())
        pdf.set_font("helvetica", size=12)
        pdf.cell(text="Giay to chung minh cho o hop phap")
        pdf.image(jpeg, x=10, y=20, w=180)
        data = bytes(pdf.output())
        if len(data) >= size:
            assert data.count(MARK) == 1
            return data
        height = int(height * size / len(data)) + 4


def unique_scan(base: bytes, tag: str) -> bytes:
    """The same scan, its title made unique (each citizen's file differs, as in life)."""
    mark = (b"scan-" + hashlib.sha256(tag.encode()).hexdigest()[:32].encode())[: len(MARK)]
    return base.replace(MARK, mark, 1)


# ---------------------------------------------------------------------------- the citizens


@dataclass(frozen=True)
class Submitter:
    pid: str
    full_name: str
    phone: str


def make_submitters(session: Session, count: int, *, first: int = 1) -> list[Submitter]:
    """``count`` adults of the commune, each with an active level-1 e-ID account."""
    from dancu.common.access import SYSTEM_ACTOR
    from dancu.common.pid import make_pid
    from dancu.identity.accounts import messages
    from dancu.identity.accounts import service as accounts
    from dancu.identity.accounts.schemas import RegistrationIn
    from dancu.registry import service as registry
    from dancu.registry.schemas import CitizenIn

    made = []
    for n in range(first, first + count):
        born = date(1980 + n % 20, 1 + n % 12, 1 + n % 28)
        pid = make_pid(province_code="066", birth_date=born, sex="F", serial=900 + n)
        name = f"{SURNAMES[n % 7]} Thị {GIVEN[n // 7 % 11]}"
        data = CitizenIn(
            pid=pid,
            full_name=name,
            birth_date=born,
            sex="F",
            commune_code=COMMUNE,
            address_detail=f"{n} Lê Duẩn",
        )
        registry.add_citizen(session, data, actor=SYSTEM_ACTOR)
        phone = f"0912{n:06d}"
        account = accounts.register(
            session,
            RegistrationIn(
                pid=pid,
                full_name=name,
                birth_date=born,
                phone=phone,
                email=f"submitter{n}@example.vn",
                password=PASSWORD,
                photo=_photo(),
                photo_type="image/png",
            ),
        )
        sent = messages.latest(session, recipient=account.phone, limit=1)[0]
        assert accounts.confirm_phone(session, account.id, _code_in(sent.body)) is None
        made.append(Submitter(pid, name, account.phone or phone))
    session.flush()
    return made


def _photo() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (300, 400), (200, 180, 160)).save(out, "PNG")
    return out.getvalue()


def _code_in(body: str) -> str:
    found = CODE.search(body)
    assert found, body
    return found.group(1)


def register_portal(session: Session) -> tuple[str, str]:
    """The National Public Service Portal as a client-credentials partner; (id, secret)."""
    from dancu.identity.oidc import clients, partners

    created = clients.add_client(
        session,
        client_id="npsp-portal",
        name="Cổng Dịch vụ công quốc gia",
        auth_method="client_secret_basic",
        grant_types=["client_credentials"],
        scopes=["procedures.npsp"],
    )
    partners.bind_partner(
        session,
        "npsp-portal",
        roles=["partner_admin"],
        nationwide=True,
        organization="Văn phòng Chính phủ",
        purposes=["administrative_procedure"],
    )
    session.flush()
    assert created.secret is not None
    return "npsp-portal", created.secret


# ---------------------------------------------------------------------------- the doors


@dataclass(frozen=True)
class Browser:
    """A signed-in citizen's browser: the session cookie and the form's CSRF token."""

    pid: str
    cookie: str
    csrf: str


def _cookie(response: httpx.Response, old: str) -> str:
    for header in response.headers.get_list("set-cookie"):
        name, _, rest = header.partition("=")
        if name.strip() == "dancu_session":
            return "dancu_session=" + rest.split(";", 1)[0]
    return old


def sign_in(http: httpx.Client, db_url: str, who: Submitter) -> Browser:
    """Password, then the SMS code (read where the phone would get it), then the apply form."""
    page = http.get("/login")
    cookie = _cookie(page, "")
    steps = (
        ("/login", {"pid": who.pid, "password": PASSWORD, "next": apply_path()}),
        ("/login/second-factor", {"method": "otp"}),
    )
    for path, fields in steps:
        token = _csrf(page.text)
        if path == "/login/second-factor":
            fields = {**fields, "code": last_code(db_url, who.phone)}
        answer = http.post(path, data={**fields, "csrf_token": token}, headers={"Cookie": cookie})
        assert answer.status_code == 303, (path, answer.status_code, answer.text[:500])
        cookie = _cookie(answer, cookie)
        page = http.get(answer.headers["location"], headers={"Cookie": cookie})
        cookie = _cookie(page, cookie)
    assert page.status_code == 200 and 'name="idempotency_key"' in page.text, page.text[:500]
    return Browser(who.pid, cookie, _csrf(page.text))


def _csrf(page: str) -> str:
    found = CSRF.search(page)
    assert found, page[:500]
    return found.group(1)


def last_code(db_url: str, phone: str) -> str:
    with psycopg.connect(db_url) as conn:
        row = conn.execute(
            "SELECT body FROM outbound_message WHERE recipient = %s ORDER BY id DESC LIMIT 1",
            (phone,),
        ).fetchone()
    assert row is not None
    return _code_in(row[0])


def apply_path() -> str:
    return f"/procedures/{PROCEDURE}/apply"


def portal_fields(browser: Browser, key: str) -> dict[str, str]:
    """The apply form's fields as the browser posts them (with the file, multipart)."""
    return {
        "csrf_token": browser.csrf,
        "idempotency_key": key,
        "action": "submit",
        "delivery": "wallet",
        **FORM,
    }


def receipt_code(status: int, location: str | None) -> str | None:
    """The dossier code of a submit acknowledged by the portal (303 to its receipt)."""
    if status != 303 or not location or not location.startswith("/my-dossiers/"):
        return None
    return urllib.parse.urlsplit(location).path.split("/")[2]


def npsp_body(who: Submitter, portal_id: str, scan: bytes) -> dict[str, object]:
    return {
        "portal_dossier_id": portal_id,
        "procedure_code": PROCEDURE,
        "applicant": {"pid": who.pid, "full_name": who.full_name},
        "form": FORM,
        "files": [
            {
                "component": COMPONENT,
                "file_name": "giay-to-cho-o.pdf",
                "content_base64": base64.b64encode(scan).decode(),
            }
        ],
        "delivery": "wallet",
        "submitted_at": "2026-03-02T08:00:00+07:00",
    }


# ---------------------------------------------------------------------------- the check


@dataclass(frozen=True)
class Acked:
    """A dossier the server acknowledged: its code and the scan's digest and size."""

    code: str
    sha256: str
    size: int


def problems(db_url: str, upload_dir: Path, acked: list[Acked]) -> list[str]:
    """What is wrong: an acknowledged dossier missing or incomplete (row, steps, history,
    receipt code, due date, file row, stored bytes), or any dossier half there."""
    found = _dossiers(db_url)
    wrong = []
    for ack in acked:
        row = found.get(ack.code)
        if row is None:
            wrong.append(f"{ack.code}: acknowledged but not in the database")
        elif (ack.sha256, ack.size) not in row["files"]:
            wrong.append(f"{ack.code}: the scan {ack.sha256[:12]} is not attached")
    for code, row in found.items():
        wrong += [f"{code}: {p}" for p in _incomplete(row, upload_dir)]
    return wrong


def dossier_count(db_url: str) -> int:
    with psycopg.connect(db_url) as conn:
        row = conn.execute("SELECT count(*) FROM procedure_dossier").fetchone()
    assert row is not None
    return int(row[0])


def _dossiers(db_url: str) -> dict[str, dict]:  # type: ignore[type-arg]
    sql = """
        SELECT d.id, d.code, d.status, d.received_on, d.due_on, d.submitted_at,
               (SELECT count(*) FROM procedure_step s WHERE s.dossier_id = d.id),
               (SELECT count(*) FROM procedure_history h
                 WHERE h.dossier_id = d.id AND h.action = 'submit'),
               coalesce((SELECT array_agg(f.sha256 || ':' || f.size) FROM procedure_file f
                 WHERE f.dossier_id = d.id), '{}')
          FROM procedure_dossier d
    """
    with psycopg.connect(db_url) as conn:
        rows = conn.execute(sql).fetchall()
    out = {}
    for id_, code, status, received, due, at, steps, history, files in rows:
        pairs = {(f.split(":")[0], int(f.split(":")[1])) for f in files}
        out[code or f"id {id_} (no code)"] = {
            "status": status,
            "receipt": (code, received, due, at),
            "steps": steps,
            "history": history,
            "files": pairs,
        }
    return out


def _incomplete(row: dict, upload_dir: Path) -> list[str]:  # type: ignore[type-arg]
    wrong = []
    if row["status"] != "submitted":
        wrong.append(f"status {row['status']}")
    if any(part is None for part in row["receipt"]):
        wrong.append(f"no complete receipt {row['receipt']}")
    if row["steps"] < 1 or row["history"] != 1:
        wrong.append(f"{row['steps']} steps, {row['history']} submit entries")
    if not row["files"]:
        wrong.append("no file")
    for sha, size in row["files"]:
        path = upload_dir / sha[:2] / sha[2:4] / sha
        data = path.read_bytes() if path.is_file() else b""
        if len(data) != size or hashlib.sha256(data).hexdigest() != sha:
            wrong.append(f"the stored file {sha[:12]} is missing or differs")
    return wrong

"""The slips of Circular 01/2018/TT-VPCP as printable PDFs (forms 01 to 05 of its annex).

A one-stop shop hands the applicant a slip at each turn of a dossier: the receipt with the
appointment to return the result (form 01), the request to supplement the dossier (02), the
refusal to accept it (03), the apology with a new date when it is late (04), and the
processing control slip that travels with the dossier between agencies (05); and the result
itself, before ``signing`` signs it. Each function
here takes a :class:`SlipDossier` (plain values, no database) and returns the PDF's bytes.

The text is Vietnamese, so the PDF embeds a Unicode TrueType font shipped inside this
package (DejaVu Sans, ``fonts/LICENSE.txt``): a reader needs no font of its own, and the
text can be copied out of the PDF as it was written (the font carries a ToUnicode map).
Times are shown in Vietnam's time (UTC+7, no daylight saving).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

FONT_DIR = Path(__file__).with_name("fonts")
FONT = "DejaVu"
VIETNAM_TIME = timezone(timedelta(hours=7))
_NEXT = {"new_x": XPos.LMARGIN, "new_y": YPos.NEXT}


@dataclass(frozen=True, slots=True)
class Component:
    """One paper of the dossier as received: its name, and how many originals or copies."""

    name: str
    originals: int = 0
    copies: int = 0


@dataclass(frozen=True, slots=True)
class ControlStep:
    """One hand-over on the processing control slip (form 05)."""

    handed_by: str  # e.g. "Bộ phận Một cửa — Trần Văn An"
    received_by: str
    handed_at: datetime
    due_on: date | None = None
    done_at: datetime | None = None
    note: str = ""

    @property
    def on_time(self) -> bool | None:
        if self.due_on is None or self.done_at is None:
            return None
        return self.done_at.astimezone(VIETNAM_TIME).date() <= self.due_on


@dataclass(frozen=True, slots=True)
class SlipDossier:
    """What every slip says about the dossier, read from it by the caller."""

    code: str  # the dossier code, e.g. "000.00.31.H26-261203-0001"
    procedure_name: str
    agency: str  # the receiving agency, e.g. "Ủy ban nhân dân phường Hoàn Kiếm"
    place: str  # where the slip is signed, e.g. "Hoàn Kiếm"
    applicant_name: str
    applicant_address: str
    received_at: datetime
    due_on: date
    receiving_officer: str
    applicant_phone: str = ""
    applicant_email: str = ""
    parent_agency: str = ""  # the line above the agency, e.g. "UBND THÀNH PHỐ HÀ NỘI"
    unit: str = "Bộ phận Một cửa"
    components: tuple[Component, ...] = ()
    return_method: str = ""  # e.g. "Nhận trực tuyến vào ví giấy tờ"
    steps: tuple[ControlStep, ...] = field(default=())


def receipt(dossier: SlipDossier, *, issued_at: datetime | None = None) -> bytes:
    """Form 01: the receipt of the dossier and the appointment to return its result."""
    pdf = _Slip(dossier, "Mẫu số 01", "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", issued_at)
    pdf.paragraph(f"{dossier.unit} {dossier.agency}")
    pdf.paragraph(f"Tiếp nhận hồ sơ của: {dossier.applicant_name}")
    pdf.applicant_contact()
    pdf.paragraph(f"Nội dung yêu cầu giải quyết: {dossier.procedure_name}")
    pdf.components()
    pdf.paragraph(f"Thời gian nhận hồ sơ: {_moment(dossier.received_at)}")
    pdf.paragraph(f"Thời gian trả kết quả giải quyết hồ sơ: ngày {_day(dossier.due_on)}")
    if dossier.return_method:
        pdf.paragraph(f"Hình thức nhận kết quả: {dossier.return_method}")
    pdf.paragraph(f"Vào Sổ theo dõi hồ sơ, Quyển số: ...... Số thứ tự: {dossier.code}")
    pdf.signatures(
        ("NGƯỜI NỘP HỒ SƠ", dossier.applicant_name),
        ("NGƯỜI TIẾP NHẬN HỒ SƠ", dossier.receiving_officer),
    )
    return pdf.bytes()


def supplement_request(
    dossier: SlipDossier,
    missing: Sequence[str],
    *,
    reason: str = "",
    issued_at: datetime | None = None,
) -> bytes:
    """Form 02: the request to supplement or complete the dossier, listing what is missing."""
    pdf = _Slip(dossier, "Mẫu số 02", "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ", issued_at)
    pdf.paragraph(f"Hồ sơ của: {dossier.applicant_name}")
    pdf.applicant_contact()
    pdf.paragraph(f"Nội dung yêu cầu giải quyết: {dossier.procedure_name}")
    pdf.paragraph("Yêu cầu hoàn thiện hồ sơ gồm những nội dung sau:")
    for number, item in enumerate(missing, 1):
        pdf.paragraph(f"{number}. {item}", indent=6)
    if reason:
        pdf.paragraph(f"Lý do: {reason}")
    pdf.paragraph(
        "Trong quá trình hoàn thiện hồ sơ, nếu có vướng mắc, ông/bà liên hệ với "
        f"{dossier.receiving_officer} để được hướng dẫn."
    )
    pdf.signatures(("NGƯỜI HƯỚNG DẪN", dossier.receiving_officer))
    return pdf.bytes()


def refusal(dossier: SlipDossier, reason: str, *, issued_at: datetime | None = None) -> bytes:
    """Form 03: the refusal to accept and settle the dossier, with its reason."""
    pdf = _Slip(dossier, "Mẫu số 03", "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ", issued_at)
    pdf.paragraph(f"{dossier.unit} {dossier.agency}")
    pdf.paragraph(f"Tiếp nhận hồ sơ của: {dossier.applicant_name}")
    pdf.applicant_contact()
    pdf.paragraph(f"Nội dung yêu cầu giải quyết: {dossier.procedure_name}")
    pdf.paragraph("Qua xem xét, cơ quan, đơn vị từ chối tiếp nhận, giải quyết hồ sơ này với lý do:")
    pdf.paragraph(reason, indent=6)
    pdf.paragraph("Xin thông báo cho ông/bà được biết và thực hiện.")
    pdf.signatures(("NGƯỜI TIẾP NHẬN HỒ SƠ", dossier.receiving_officer))
    return pdf.bytes()


def apology(
    dossier: SlipDossier,
    reason: str,
    new_due_on: date,
    *,
    signer: str,
    issued_at: datetime | None = None,
) -> bytes:
    """Form 04: the apology for a late result, with its reason and the new date."""
    pdf = _Slip(dossier, "Mẫu số 04", "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ", issued_at)
    pdf.paragraph(
        f"Ngày {_day(dossier.received_at.astimezone(VIETNAM_TIME).date())}, "
        f"{dossier.agency} tiếp nhận giải quyết hồ sơ của ông/bà {dossier.applicant_name}, "
        f"nội dung yêu cầu giải quyết: {dossier.procedure_name}. Mã hồ sơ: {dossier.code}."
    )
    pdf.paragraph(f"Thời gian hẹn trả kết quả giải quyết hồ sơ: ngày {_day(dossier.due_on)}.")
    pdf.paragraph(
        f"Tuy nhiên, đến nay, {dossier.agency} chưa trả kết quả giải quyết hồ sơ của ông/bà. "
        f"Lý do: {reason}"
    )
    pdf.paragraph(
        f"Sự chậm trễ này đã gây phiền hà cho ông/bà. {dossier.agency} xin lỗi ông/bà và sẽ "
        f"trả kết quả giải quyết hồ sơ cho ông/bà vào ngày {_day(new_due_on)}."
    )
    pdf.paragraph("Kính mong nhận được sự thông cảm của ông/bà vì sự chậm trễ này.")
    pdf.signatures(("THỦ TRƯỞNG CƠ QUAN", signer))
    return pdf.bytes()


def control_slip(dossier: SlipDossier, *, issued_at: datetime | None = None) -> bytes:
    """Form 05: the processing control slip, one row per hand-over of the dossier."""
    pdf = _Slip(dossier, "Mẫu số 05", "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ", issued_at)
    pdf.paragraph(f"Kèm theo hồ sơ của: {dossier.applicant_name}")
    pdf.paragraph(f"Nội dung yêu cầu giải quyết: {dossier.procedure_name}")
    pdf.paragraph(f"Ngày hẹn trả kết quả: {_day(dossier.due_on)}")
    pdf.steps_table(dossier.steps)
    return pdf.bytes()


def result_document(
    dossier: SlipDossier,
    title: str,
    facts: Sequence[tuple[str, str]],
    *,
    decision_number: str,
    signer_title: str,
    signer: str,
    issued_at: datetime | None = None,
) -> bytes:
    """The result of the dossier (an extract, a certificate, a decision) before signing:
    its title, number, what it certifies as label-value lines, and who signs for the agency."""
    pdf = _Slip(dossier, f"Số: {decision_number}", title.upper(), issued_at)
    for label, value in facts:
        pdf.paragraph(f"{label}: {value}")
    pdf.paragraph(f"Cấp theo hồ sơ: {dossier.code} — {dossier.procedure_name}")
    pdf.signatures((signer_title.upper(), signer))
    pdf.paragraph("Văn bản điện tử có chữ ký số của cơ quan cấp.", indent=0)
    return pdf.bytes()


class _Slip(FPDF):
    """An A4 page with the national heading, the form's title, and helpers for its body."""

    def __init__(
        self, dossier: SlipDossier, form: str, title: str, issued_at: datetime | None = None
    ) -> None:
        super().__init__(format="A4")
        self.dossier = dossier
        self.set_title(title)
        self.set_creator("dancu")
        self.add_font(FONT, "", FONT_DIR / "DejaVuSans.ttf")
        self.add_font(FONT, "B", FONT_DIR / "DejaVuSans-Bold.ttf")
        self.set_margins(20, 15, 15)
        self.add_page()
        self._heading(form, title, issued_at or dossier.received_at)

    def _heading(self, form: str, title: str, issued_at: datetime) -> None:
        self.set_font(FONT, "", 8)
        self.cell(0, 4, form, align="R", **_NEXT)
        top, half = self.get_y(), (self.w - self.l_margin - self.r_margin) / 2
        self.set_font(FONT, "", 9)
        if self.dossier.parent_agency:
            self.cell(half, 5, self.dossier.parent_agency.upper(), align="C", **_NEXT)
        self.set_font(FONT, "B", 9)
        self.multi_cell(half, 5, self.dossier.agency.upper(), align="C", **_NEXT)
        self.set_font(FONT, "", 9)
        self.cell(half, 5, f"Mã hồ sơ: {self.dossier.code}", align="C", **_NEXT)
        left_end = self.get_y()
        self.set_xy(self.l_margin + half, top)
        self.set_font(FONT, "B", 9)
        self.cell(half, 5, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="C")
        self.set_xy(self.l_margin + half, top + 5)
        self.cell(half, 5, "Độc lập - Tự do - Hạnh phúc", align="C")
        self.set_xy(self.l_margin + half, top + 12)
        self.set_font(FONT, "", 9)
        local = issued_at.astimezone(VIETNAM_TIME).date()
        self.cell(half, 5, f"{self.dossier.place}, {_long_day(local)}", align="C")
        self.set_y(max(left_end, top + 18) + 6)
        self.set_font(FONT, "B", 13)
        self.multi_cell(0, 7, title, align="C", **_NEXT)
        self.ln(4)
        self.set_font(FONT, "", 11)

    def paragraph(self, text: str, *, indent: float = 0) -> None:
        self.set_x(self.l_margin + indent)
        self.multi_cell(0, 6, text, **_NEXT)
        self.ln(1)

    def applicant_contact(self) -> None:
        d = self.dossier
        self.paragraph(f"Địa chỉ: {d.applicant_address}")
        contact = "; ".join(
            part
            for part in (
                f"Số điện thoại: {d.applicant_phone}" if d.applicant_phone else "",
                f"Email: {d.applicant_email}" if d.applicant_email else "",
            )
            if part
        )
        if contact:
            self.paragraph(contact)

    def components(self) -> None:
        if not self.dossier.components:
            return
        self.paragraph("Thành phần hồ sơ nộp gồm:")
        widths = (10, 110, 27, 28)
        rows = [("TT", "Tên loại giấy tờ", "Bản chính", "Bản sao")] + [
            (str(n), c.name, str(c.originals), str(c.copies))
            for n, c in enumerate(self.dossier.components, 1)
        ]
        self._table(widths, rows)

    def steps_table(self, steps: Sequence[ControlStep]) -> None:
        widths = (45, 45, 32, 25, 28)
        header = ("Bên giao", "Bên nhận", "Thời gian giao, nhận", "Hạn xử lý", "Kết quả")
        rows = [header] + [
            (
                s.handed_by,
                s.received_by,
                _moment(s.handed_at, short=True),
                _day(s.due_on) if s.due_on else "",
                _outcome(s),
            )
            for s in steps
        ]
        self._table(widths, rows, size=8)

    def _table(
        self, widths: Sequence[float], rows: Sequence[Sequence[str]], *, size: int = 10
    ) -> None:
        self.set_font(FONT, "", size)
        with self.table(col_widths=tuple(widths), text_align="LEFT", line_height=5) as table:
            for number, values in enumerate(rows):
                row = table.row()
                for value in values:
                    if number == 0:
                        self.set_font(FONT, "B", size)
                    row.cell(value)
                    self.set_font(FONT, "", size)
        self.set_font(FONT, "", 11)
        self.ln(3)

    def signatures(self, *who: tuple[str, str]) -> None:
        self.ln(4)
        width = (self.w - self.l_margin - self.r_margin) / len(who)
        top = self.get_y()
        for column, (role, name) in enumerate(who):
            x = self.l_margin + width * column
            self.set_xy(x, top)
            self.set_font(FONT, "B", 10)
            self.cell(width, 5, role, align="C")
            self.set_xy(x, top + 5)
            self.set_font(FONT, "", 9)
            self.cell(width, 5, "(Ký và ghi rõ họ tên)", align="C")
            self.set_xy(x, top + 25)
            self.set_font(FONT, "B", 10)
            self.cell(width, 5, name, align="C")
        self.set_y(top + 32)

    def bytes(self) -> bytes:
        return bytes(self.output())


def _outcome(step: ControlStep) -> str:
    if step.on_time is None:
        return step.note
    words = "Đúng hạn" if step.on_time else "Quá hạn"
    return f"{words}. {step.note}" if step.note else words


def _day(day: date) -> str:
    return f"{day:%d/%m/%Y}"


def _long_day(day: date) -> str:
    return f"ngày {day:%d} tháng {day:%m} năm {day:%Y}"


def _moment(moment: datetime, *, short: bool = False) -> str:
    local = moment.astimezone(VIETNAM_TIME)
    if short:
        return f"{local:%H:%M %d/%m/%Y}"
    return f"{local:%H} giờ {local:%M} phút, {_long_day(local.date())}"

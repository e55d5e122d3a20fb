"""/verify reads a wallet QR code with the camera, in real Chromium (issue 10, "Identity
and wallet fixes"): the holder's QR code, as the page draws it, is filmed by Chromium's fake
camera (a Y4M video made here with Pillow); the verifier presses one button, the page
decodes the code with the jsQR it serves itself and shows the document valid. Without a
camera the page says so and the paste box takes over; everything works from the keyboard."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, WAIT_MS, Server
from tests.e2e.test_pages_accessibility import check
from tests.e2e.test_pages_readable import sign_in_demo_account

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]
FRAME = (640, 480)


def y4m(picture: bytes, path: Path, frames: int = 5) -> Path:
    """A short 4:2:0 Y4M video of ``picture`` centred on a grey desk, as a camera sees it."""
    shown = Image.open(io.BytesIO(picture)).convert("RGB")
    shown.thumbnail((FRAME[0] - 80, FRAME[1] - 80))
    frame = Image.new("RGB", FRAME, (150, 150, 140))
    frame.paste(shown, ((FRAME[0] - shown.width) // 2, (FRAME[1] - shown.height) // 2))
    y, cb, cr = frame.convert("YCbCr").split()
    half = (FRAME[0] // 2, FRAME[1] // 2)
    planes = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    header = f"YUV4MPEG2 W{FRAME[0]} H{FRAME[1]} F10:1 Ip A1:1 C420jpeg\n".encode()
    path.write_bytes(header + b"".join(b"FRAME\n" + planes for _ in range(frames)))
    return path


def holders_qr(page: Page, server: Server) -> tuple[bytes, str]:
    """A level-2 holder opens a wallet document: (the QR code as drawn, the value of the
    first field it discloses)."""
    sign_in_demo_account(page, server, level=2)
    page.get_by_test_id("nav-wallet").click()
    page.get_by_test_id("wallet-doc").first.click()
    figure = page.get_by_test_id("qr")
    expect(figure).to_be_visible()
    ticked = page.locator("[data-testid^='field-']:checked").first.get_attribute("data-testid")
    value = page.get_by_test_id(f"value-{(ticked or '')[len('field-') :]}").inner_text().strip()
    return figure.locator("svg").screenshot(), value


@pytest.fixture
def camera_browser(browser: Browser, tmp_path: Path) -> Iterator[tuple[Browser, Path]]:
    """A Chromium of its own whose camera films ``tmp_path / 'camera.y4m'``, allowed
    without asking (write the video before opening a page)."""
    video = tmp_path / "camera.y4m"
    args = [
        *CHROMIUM_ARGS,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    chromium = browser.browser_type.launch(executable_path=str(CHROMIUM), args=args)
    yield chromium, video
    chromium.close()


def test_the_camera_reads_the_holders_qr_code_and_the_document_verifies(
    page: Page, server: Server, camera_browser
):  # type: ignore[no-untyped-def]
    picture, first_value = holders_qr(page, server)
    chromium, video = camera_browser
    y4m(picture, video)
    context = chromium.new_context(
        base_url=server.url, locale="vi-VN", viewport={"width": 390, "height": 844}
    )
    context.set_default_timeout(WAIT_MS)
    verifier = context.new_page()
    errors: list[str] = []
    verifier.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    verifier.goto("/")
    verifier.get_by_role("link", name="Xác thực giấy tờ").first.click()
    expect(verifier).to_have_url(re.compile(r"/verify$"))
    start = verifier.get_by_test_id("scan-start")
    # the scanner's section is shown by its (deferred) script: focusing it earlier is lost
    expect(start).to_be_visible()
    start.focus()
    expect(start).to_be_focused()
    verifier.keyboard.press("Enter")  # the keyboard alone
    valid = verifier.get_by_test_id("verify-valid")
    expect(valid).to_be_visible()
    expect(verifier.get_by_test_id("verify-claims")).to_contain_text(first_value)
    expect(verifier.get_by_test_id("verify-expired")).to_have_count(0)
    assert errors == []
    context.close()


def test_without_a_camera_the_page_says_so_and_the_paste_box_takes_over(page: Page, server: Server):
    page.context.grant_permissions(["camera"])
    page.goto("/verify")
    start = page.get_by_test_id("scan-start")
    expect(start).to_be_visible()
    assert check(page) == []
    start.click()  # this Chromium has no camera device
    expect(page.get_by_test_id("scan-status")).to_contain_text("Dán đường dẫn")
    expect(page.get_by_test_id("verify-input")).to_be_focused()
    expect(page.get_by_test_id("scan-start")).to_be_visible()


def test_the_scanner_loads_only_this_sites_files(page: Page, server: Server):
    loaded: list[str] = []
    page.on("response", lambda r: loaded.append(r.url))
    page.goto("/verify")
    expect(page.get_by_test_id("scan-start")).to_be_visible()
    assert any(u.endswith("/static/vendor/jsqr/jsQR.min.js") for u in loaded)
    assert all(u.startswith(server.url) for u in loaded)

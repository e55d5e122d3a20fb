"""``make screenshots``: the demo as a newcomer would see it, page by page, in Chromium.

Starts ``dancu serve`` over a temporary SQLite database seeded with ``dancu demo``, signs in
as each demo role through the real pages (the e-ID login with the SMS code read from the
development message box, the development sign-in for the province's officers, the kiosk's
enrolment form), and writes each main page at 1280 and 390 px wide into docs/screenshots/
as palette PNGs (Pillow), so the README shows the product before anyone installs it.

    .venv/bin/python tools/screenshots.py [--out docs/screenshots] [--only NAME ...]

``SHOTS`` is the list of pages; ``tests/e2e/test_screenshot_pages.py`` opens each of them
as its role and checks it answers, so a page that moves breaks a test, not the images.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
DANCU = ROOT / ".venv" / "bin" / "dancu"
CHROMIUM = Path(os.environ.get("DANCU_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_PASSWORD = "dancu-demo-2026"
HOSPITAL = "bv-da-khoa-tinh"
WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}
MAX_HEIGHT = {"desktop": 2000, "phone": 3200}  # a long page is cut: the top tells the story
WAIT_MS = 30_000


@dataclass(frozen=True)
class Demo:
    """The running demo: its address and a read-only look into its database."""

    url: str
    db_path: Path
    env: dict[str, str]

    def query(self, sql: str, *params: object) -> list[tuple]:  # type: ignore[type-arg]
        with sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True) as conn:
            return conn.execute(sql, params).fetchall()

    def dancu(self, *args: str) -> str:
        done = subprocess.run(
            [str(DANCU), *args], cwd=ROOT, env=self.env, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise RuntimeError(f"dancu {' '.join(args)}:\n{done.stdout}\n{done.stderr}")
        return done.stdout


# -- who: a role signs in through the real pages ------------------------------------------


def sms_code(page, phone: str) -> str:  # type: ignore[no-untyped-def]
    """The newest code sent to ``phone``, read on the development message box."""
    box = page.context.new_page()
    box.goto(f"/dev/messages?recipient={quote(phone)}")
    body = box.get_by_test_id("message-body").first.inner_text()
    box.close()
    found = re.search(r"\b(\d{6})\b", body)
    if not found:
        raise RuntimeError(f"no code in the message to {phone}: {body!r}")
    return found.group(1)


def account_of(demo: Demo, role: str | None, level: int = 1) -> tuple[str, str]:
    """(ID number, phone) of the demo e-ID account with this officer role (None: a citizen
    without one, at ``level``)."""
    if role is None:
        rows = demo.query(
            """SELECT citizen_pid, phone FROM account WHERE kind = 'citizen'
                 AND status = 'active' AND level = ?
                 AND id NOT IN (SELECT account_id FROM officer_role) ORDER BY id LIMIT 1""",
            level,
        )
    else:
        rows = demo.query(
            """SELECT a.citizen_pid, a.phone FROM account a
               JOIN officer_role r ON r.account_id = a.id
               WHERE r.role = ? AND r.revoked_at IS NULL ORDER BY a.id LIMIT 1""",
            role,
        )
    return rows[0]


def e_id(role: str | None, level: int = 1) -> Callable:  # type: ignore[type-arg]
    """Sign in with a demo e-ID account: ID number, password, then the SMS code."""

    def sign_in(page, demo: Demo) -> None:  # type: ignore[no-untyped-def]
        pid, phone = account_of(demo, role, level)
        page.goto("/login")
        page.get_by_test_id("pid").fill(pid)
        page.get_by_test_id("password").fill(DEMO_PASSWORD)
        page.get_by_test_id("submit").click()
        page.wait_for_url(re.compile(r"/login/second-factor$"))
        if page.get_by_test_id("totp-form").count():  # level 2: the SMS code instead
            page.get_by_test_id("send-code").click()
        page.get_by_test_id("otp-code").fill(sms_code(page, phone))
        page.get_by_test_id("otp-submit").click()
        page.wait_for_url(re.compile(r"/$"))

    return sign_in


def dev_officer(officer: str) -> Callable:  # type: ignore[type-arg]
    """The development sign-in's demo officer (the province's staff have no e-ID account)."""

    def sign_in(page, demo: Demo) -> None:  # type: ignore[no-untyped-def]
        page.goto("/dev/login")
        page.get_by_test_id(f"officer-{officer}").click()
        page.wait_for_url(re.compile(r"/$"))

    return sign_in


def visitor(page, demo: Demo) -> None:  # type: ignore[no-untyped-def]
    """Nobody signed in."""


def kiosk(page, demo: Demo) -> None:  # type: ignore[no-untyped-def]
    """A hospital's kiosk, enrolled with a fresh code on its own enrolment form."""
    code = re.search(r"enrolment code (\S+)", demo.dancu("exchange", "kiosk", HOSPITAL))
    if not code:
        raise RuntimeError("dancu exchange kiosk printed no enrolment code")
    page.goto("/kiosk")
    page.get_by_test_id("enrol-secret").fill(code.group(1))
    page.get_by_test_id("enrol-submit").click()
    page.get_by_test_id("kiosk-scan").wait_for()


ROLES: dict[str, Callable] = {  # type: ignore[type-arg]
    "visitor": visitor,
    "citizen": e_id(None, level=2),
    "registry-clerk": e_id("registry_clerk"),
    "commune-police": e_id("police"),
    "procedure-officer": e_id("procedure_officer"),
    "social-officer": e_id("social_officer"),
    "social-approver": e_id("social_approver"),
    "steering-viewer": e_id("steering_viewer"),
    "province-clerk": dev_officer("province-clerk"),
    "kiosk": kiosk,
}


# -- what: the main pages -------------------------------------------------------------------


def path(to: str) -> Callable:  # type: ignore[type-arg]
    def show(page, demo: Demo) -> None:  # type: ignore[no-untyped-def]
        page.goto(to)

    return show


def first_citizen_record(page, demo: Demo) -> None:  # type: ignore[no-untyped-def]
    """The registry clerk searches a name without diacritics and opens the first record."""
    page.goto("/registry/search?name=nguyen+van")
    page.locator("main table a[href^='/registry/citizens/']").first.click()
    page.wait_for_url(re.compile(r"/registry/citizens/\d{12}"))


def first_source(page, demo: Demo) -> None:  # type: ignore[no-untyped-def]
    [(source_id,)] = demo.query("SELECT id FROM linkage_source ORDER BY id LIMIT 1")
    page.goto(f"/linkage/sources/{source_id}")


def wallet_document(page, demo: Demo) -> None:  # type: ignore[no-untyped-def]
    page.goto("/wallet")
    page.get_by_test_id("wallet-doc").first.click()
    page.get_by_test_id("qr").wait_for()


def verified(page, demo: Demo):  # type: ignore[no-untyped-def]
    """/verify after a verifier scanned the holder's QR: the short link it holds, opened
    in a browser of its own (the verifier is not signed in)."""
    wallet_document(page, demo)
    link = page.get_by_test_id("qr-link").inner_text()
    verifier = page.context.browser.new_context(
        base_url=demo.url, locale="vi-VN", viewport=page.viewport_size
    ).new_page()
    verifier.goto(link)
    verifier.get_by_test_id("verify-valid").wait_for()
    return verifier


def own_dossier(page, demo: Demo) -> None:  # type: ignore[no-untyped-def]
    page.goto("/my-dossiers")
    page.locator("main a[href^='/my-dossiers/']").first.click()
    page.wait_for_url(re.compile(r"/my-dossiers/[^/]+$"))


def console_dossier(page, demo: Demo) -> None:  # type: ignore[no-untyped-def]
    page.goto("/procedure-console")
    page.locator("main a[href^='/procedure-console/dossiers/']").first.click()
    page.wait_for_url(re.compile(r"/procedure-console/dossiers/[^/]+$"))


def first_procedure(page, demo: Demo) -> None:  # type: ignore[no-untyped-def]
    page.goto("/procedures")
    page.locator("main a[href^='/procedures/']").first.click()
    page.wait_for_url(re.compile(r"/procedures/[^/]+$"))


def latest_cycle(page, demo: Demo) -> None:  # type: ignore[no-untyped-def]
    page.goto("/payments/cycles")
    page.locator("main a[href^='/payments/cycles/']").first.click()
    page.wait_for_url(re.compile(r"/payments/cycles/[^/]+$"))


@dataclass(frozen=True)
class Shot:
    name: str  # the file's stem: docs/screenshots/<name>-<desktop|phone>.png
    role: str  # a key of ROLES
    # (page, demo) -> None: shows the page on ``page``; or returns another page to capture
    open: Callable  # type: ignore[type-arg]
    title: str  # what it is, in English (the README's captions)


SHOTS: tuple[Shot, ...] = (
    Shot("home-visitor", "visitor", path("/"), "The home page before signing in"),
    Shot("login", "visitor", path("/login"), "Signing in with an e-ID account"),
    Shot("home-citizen", "citizen", path("/"), "A citizen's home page"),
    Shot("wallet", "citizen", path("/wallet"), "The citizen's wallet documents"),
    Shot("wallet-document", "citizen", wallet_document, "A wallet document with its QR code"),
    Shot("verify", "visitor", path("/verify"), "Verifying a wallet document"),
    Shot("verify-valid", "citizen", verified, "A scanned QR code, verified"),
    Shot("account", "citizen", path("/account"), "The e-ID account: sessions, consents, log"),
    Shot("procedures", "visitor", path("/procedures"), "The public-service catalogue"),
    Shot("procedure", "visitor", first_procedure, "A procedure and what it needs"),
    Shot("my-dossiers", "citizen", path("/my-dossiers"), "A citizen's dossiers"),
    Shot("my-dossier", "citizen", own_dossier, "A dossier followed by its citizen"),
    Shot("home-registry-clerk", "registry-clerk", path("/"), "A commune clerk's home page"),
    Shot(
        "registry-search",
        "registry-clerk",
        path("/registry/search?name=nguyen+van"),
        "Citizen search, typed without diacritics",
    ),
    Shot("registry-record", "registry-clerk", first_citizen_record, "A citizen's record"),
    Shot("linkage", "registry-clerk", path("/linkage"), "Sector data synchronized"),
    Shot("linkage-source", "province-clerk", first_source, "A dataset's rates per commune"),
    Shot("linkage-queue", "province-clerk", path("/linkage/queue"), "The cleaning queue"),
    Shot("home-police", "commune-police", path("/"), "The commune police's home page"),
    Shot("desk-level2", "commune-police", path("/desk/level2"), "The level-2 desk"),
    Shot(
        "procedure-console",
        "procedure-officer",
        path("/procedure-console"),
        "The one-stop-shop officer's dossier queue",
    ),
    Shot("procedure-console-dossier", "procedure-officer", console_dossier, "A dossier at work"),
    Shot("home-steering", "steering-viewer", path("/"), "The steering committee's home page"),
    Shot("payments", "social-officer", path("/payments"), "Social payments: beneficiaries"),
    Shot("payment-cycles", "social-approver", path("/payments/cycles"), "Monthly payment cycles"),
    Shot("payment-cycle", "social-approver", latest_cycle, "A payment cycle and its bank file"),
    Shot("exchange", "province-clerk", path("/exchange"), "The data exchange overview"),
    Shot("kiosk", "kiosk", path("/kiosk"), "A hospital's self-service check-in kiosk"),
)


# -- the demo server --------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"dancu serve exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"dancu serve did not answer /healthz in {timeout:.0f} s")


@contextmanager
def demo_server(citizens: int) -> Iterator[Demo]:
    """``dancu serve`` on a free port over a fresh SQLite file seeded by ``dancu demo``."""
    with tempfile.TemporaryDirectory(prefix="dancu-screenshots-") as tmp:
        db_path = Path(tmp) / "demo.db"
        port = _free_port()  # before the demo, which registers the sample portal's callbacks
        env = {
            **os.environ,
            "DANCU_DATABASE_URL": f"sqlite:///{db_path}",
            "DANCU_ENV": "development",
            "DANCU_DEV_LOGIN": "true",
            "DANCU_DEFAULT_LANGUAGE": "vi",
            "DANCU_DEMO_PROVINCE": "66",
            "DANCU_PORT": str(port),
            "DANCU_IDENTITY_CSCA_DIR": f"{tmp}/csca",
            "DANCU_PROCEDURES_CA_DIR": f"{tmp}/procedures-ca",
            "DANCU_PROCEDURES_NPSP_FILE": f"{tmp}/npsp-outbound.jsonl",
        }
        demo = Demo(url=f"http://127.0.0.1:{port}", db_path=db_path, env=env)
        print("seeding the demo province ...", flush=True)
        demo.dancu("db", "upgrade")
        demo.dancu("demo", "--citizens", str(citizens))
        with (Path(tmp) / "serve.log").open("wb") as log:
            proc = subprocess.Popen(
                [str(DANCU), "serve", "--host", "127.0.0.1", "--port", str(port)],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            _wait_healthy(demo.url, proc)
            yield demo
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


# -- the pictures -----------------------------------------------------------------------------


def optimise(png: Path) -> None:
    """A 256-colour palette PNG: pages are flat colours and text, a tenth of the size."""
    from PIL import Image

    with Image.open(png) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(png, optimize=True)


def capture(page, file: Path, width: str) -> Path:  # type: ignore[no-untyped-def]
    page.wait_for_load_state("networkidle")
    height = page.evaluate("document.documentElement.scrollHeight")
    cut = min(height, MAX_HEIGHT[width])
    page.screenshot(
        path=str(file),
        full_page=True,
        clip={"x": 0, "y": 0, "width": WIDTHS[width][0], "height": cut},
        animations="disabled",
        caret="hide",
    )
    optimise(file)
    return file


def run(demo: Demo, out: Path, only: set[str]) -> list[Path]:
    from playwright.sync_api import sync_playwright

    shots = [s for s in SHOTS if not only or s.name in only]
    written: list[Path] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for role in dict.fromkeys(s.role for s in shots):  # one signed-in tab a role
            context = browser.new_context(
                base_url=demo.url, locale="vi-VN", viewport=_size("desktop")
            )
            context.set_default_timeout(WAIT_MS)
            page = context.new_page()
            ROLES[role](page, demo)
            for shot in (s for s in shots if s.role == role):
                for width in WIDTHS:
                    page.set_viewport_size(_size(width))
                    shown = shot.open(page, demo) or page
                    written.append(capture(shown, out / f"{shot.name}-{width}.png", width))
                    if shown is not page:
                        shown.context.close()
                    print(f"  {written[-1]}", flush=True)
            context.close()
        browser.close()
    return written


def _size(width: str) -> dict[str, int]:
    return {"width": WIDTHS[width][0], "height": WIDTHS[width][1]}


def write_index(out: Path, shots: tuple[Shot, ...]) -> Path:
    """docs/screenshots/README.md: every page, captioned, desktop beside phone."""
    lines = [
        "# Screenshots",
        "",
        "Written by `make screenshots` (`tools/screenshots.py`): the demo province served by",
        "`dancu serve`, each page opened by its role after signing in through the real pages,",
        "at 1280 and 390 px wide. Pages speak Vietnamese by default.",
        "",
        "| Page | Desktop (1280 px) | Phone (390 px) |",
        "|---|---|---|",
    ]
    for shot in shots:
        desktop, phone = f"{shot.name}-desktop.png", f"{shot.name}-phone.png"
        lines.append(
            f"| {shot.title} ({shot.role}) "
            f'| <img src="{desktop}" width="420" alt="{shot.title}, desktop"> '
            f'| <img src="{phone}" width="160" alt="{shot.title}, phone"> |'
        )
    index = out / "README.md"
    index.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return index


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--citizens", type=int, default=1000)
    parser.add_argument("--only", nargs="*", default=[], help="shot names (default: all)")
    args = parser.parse_args(argv)
    unknown = set(args.only) - {s.name for s in SHOTS}
    if unknown:
        parser.error(f"--only: no such shot {sorted(unknown)}; known: {[s.name for s in SHOTS]}")
    if not CHROMIUM.exists():
        parser.error(f"no Chromium at {CHROMIUM} (set DANCU_CHROMIUM)")
    args.out.mkdir(parents=True, exist_ok=True)
    with demo_server(args.citizens) as demo:
        written = run(demo, args.out.resolve(), set(args.only))
    if not args.only:
        write_index(args.out, SHOTS)
    total = sum(f.stat().st_size for f in written)
    print(f"{len(written)} screenshots, {total / 1e6:.1f} MB, in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`dancu serve --port` on another port than the one `dancu demo` registered the sample
portal's callbacks at (DANCU_PORT): the portal's sign-in still reaches the provider's
sign-in page. Before, the provider refused it ("Yêu cầu xác thực không hợp lệ")."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DANCU, ROOT, _free_port, _run, _wait_healthy

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_the_demo_portal_signs_in_on_the_port_dancu_serve_was_given(
    tmp_path: Path, browser
) -> None:  # type: ignore[no-untyped-def]
    seeded, served = _free_port(), _free_port()
    env = {
        **os.environ,
        "DANCU_DATABASE_URL": f"sqlite:///{tmp_path / 'port.db'}",
        "DANCU_ENV": "development",
        "DANCU_DEV_LOGIN": "true",
        "DANCU_DEFAULT_LANGUAGE": "vi",
        "DANCU_DEMO_PROVINCE": "66",
        "DANCU_PORT": str(seeded),  # what `dancu demo` registers
        "DANCU_IDENTITY_CSCA_DIR": str(tmp_path / "csca"),
        "DANCU_PROCEDURES_CA_DIR": str(tmp_path / "procedures-ca"),
    }
    _run(["db", "upgrade"], env)
    demo = ["demo", "--citizens", "60", "--dossiers", "0", "--no-sector", "--no-payments"]
    _run(demo, env)
    url, log = f"http://127.0.0.1:{served}", tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(DANCU), "serve", "--host", "127.0.0.1", "--port", str(served)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_healthy(url, proc, log)
        context = browser.new_context(base_url=url, locale="vi-VN")
        page = context.new_page()
        page.goto("/demo-rp")
        page.get_by_test_id("rp-login").click()
        expect(page).to_have_url(re.compile(r"/login\?next="))  # the provider's own sign-in
        context.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)

"""Settings: production refuses development defaults; the dev sign-in exists only when enabled."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dancu.app import create_app
from dancu.settings import DEV_SECRET, Settings, get_settings

STRONG_SECRET = "k3Jd9-vQ2pXw7LmZt4Rb8NcYh6Ue1SfA"  # 32 characters
PUBLIC = "https://dichvucong.example.gov.vn"


def _settings(**values: object) -> Settings:
    """Settings from these values only: no .env file is read."""
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """No DANCU_ variable from the caller's shell, and a fresh get_settings() cache."""
    for name in [n for n in os.environ if n.startswith("DANCU_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir("/")  # no .env file here
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("values", "variable"),
    [
        ({"secret_key": DEV_SECRET, "dev_login": False}, "DANCU_SECRET_KEY"),
        ({"secret_key": "short-but-not-the-dev-secret", "dev_login": False}, "DANCU_SECRET_KEY"),
        ({"secret_key": STRONG_SECRET, "dev_login": True}, "DANCU_DEV_LOGIN"),
        ({"dev_login": False}, "DANCU_SECRET_KEY"),  # the default secret is the dev secret
        ({"secret_key": STRONG_SECRET, "dev_login": False, "public_url": ""}, "DANCU_PUBLIC_URL"),
    ],
    ids=["dev-secret", "short-secret", "dev-login", "defaults", "no-public-url"],
)
def test_production_refuses_development_settings(values, variable):
    with pytest.raises(ValueError, match=variable):
        _settings(env="production", **{"public_url": PUBLIC, **values})


def test_production_accepts_a_strong_secret_without_dev_login():
    settings = _settings(
        env="production", secret_key=STRONG_SECRET, dev_login=False, public_url=PUBLIC
    )
    assert (settings.env, settings.secret_key, settings.dev_login, settings.public_url) == (
        "production",
        STRONG_SECRET,
        False,
        PUBLIC,
    )


def test_development_allows_the_dev_defaults():
    settings = _settings()
    assert (settings.env, settings.secret_key, settings.dev_login) == (
        "development",
        DEV_SECRET,
        True,
    )


def test_the_environment_configures_and_refuses(clean_env):
    clean_env.setenv("DANCU_ENV", "production")
    clean_env.setenv("DANCU_SECRET_KEY", STRONG_SECRET)
    clean_env.setenv("DANCU_PUBLIC_URL", PUBLIC + "/")
    with pytest.raises(ValueError, match="DANCU_DEV_LOGIN must be false in production"):
        get_settings()
    clean_env.setenv("DANCU_DEV_LOGIN", "false")
    settings = get_settings()
    assert (settings.env, settings.dev_login, settings.public_url) == ("production", False, PUBLIC)


def test_without_dev_login_there_is_no_dev_login_page():
    app = create_app(
        _settings(env="production", secret_key=STRONG_SECRET, dev_login=False, public_url=PUBLIC)
    )
    client = TestClient(app)
    assert client.get("/dev/login").status_code == 404
    response = client.post("/dev/login", data={"officer": "province-clerk"})
    assert response.status_code == 404


def test_with_dev_login_the_page_is_served():
    app = create_app(_settings(dev_login=True))
    response = TestClient(app).get("/dev/login")
    assert response.status_code == 200


def test_without_dev_login_home_does_not_redirect_to_the_dev_login_page(clean_env):
    app = create_app(
        _settings(env="production", secret_key=STRONG_SECRET, dev_login=False, public_url=PUBLIC)
    )
    response = TestClient(app).get("/", follow_redirects=False)
    assert response.headers.get("location") != "/dev/login"


def test_every_setting_is_documented():
    """Each setting has its DANCU_ variable in docs/operations.md (Datasette's docs test)."""
    docs = (Path(__file__).resolve().parents[1] / "docs" / "operations.md").read_text()
    variables = [f"DANCU_{name.upper()}" for name in Settings.model_fields]
    assert [v for v in variables if f"`{v}`" not in docs] == []


def test_synchronous_routes_run_on_at_most_web_threads_threads():
    """``DANCU_WEB_THREADS`` bounds how many synchronous routes run at once in a process
    (anyio's default of 40 let an overloaded server thrash, docs/performance.md)."""
    import threading
    import time

    app = create_app(_settings(web_threads=2, jobs_in_process=False))
    running, most = [0], [0]
    lock = threading.Lock()

    def busy() -> dict[str, int]:  # a synchronous route: FastAPI runs it on the thread pool
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.2)
        with lock:
            running[0] -= 1
        return {}

    app.add_api_route("/busy", busy)
    with TestClient(app) as client:  # runs the lifespan, which sizes the pool
        requests = [threading.Thread(target=client.get, args=("/busy",)) for _ in range(6)]
        for request in requests:
            request.start()
        for request in requests:
            request.join()
    assert most[0] == 2


def test_web_threads_must_be_positive():
    with pytest.raises(ValueError, match="web_threads"):
        _settings(web_threads=0)

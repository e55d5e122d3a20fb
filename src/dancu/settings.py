"""One Settings object for the whole platform (environment prefix ``DANCU_``)."""

from __future__ import annotations

from functools import cache
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-only-secret-change-me"
JOB_STORES = ("sqlite:///", "postgresql://", "redis://", "rediss://", "memory://")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DANCU_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///var/dancu.db"
    secret_key: str = DEV_SECRET
    # The development-only sign-in page (pick a demo officer). Never on in production.
    dev_login: bool = True
    default_language: Literal["vi", "en"] = "vi"
    demo_province: str = "66"
    demo_citizens: int = 3000
    demo_seed: int = 6
    db_pool_size: int = 10
    # Threads each server process runs its synchronous routes on (anyio's default is 40).
    # More threads than the cores and connections can serve only contend: measured on two
    # cores, 40 let a look-up load at 70 % of peak tip into seconds of queueing and stay
    # there, 8 did not (docs/performance.md, registry_lookup).
    web_threads: int = Field(default=8, ge=1, le=200)
    # Background jobs (docs/operations.md, "Background jobs"; ADR 0005). Where jobs wait:
    # empty, a SQLite file next to a SQLite database (or the PostgreSQL database itself);
    # else redis://, postgresql://, sqlite:///path, or memory:// (one process only).
    jobs_url: str = ""
    # The queue's name inside its store (two deployments may share one Redis).
    jobs_queue: str = "dancu"
    # `dancu serve` runs a worker in each server process (production: false + `dancu worker`).
    jobs_in_process: bool = True
    # Worker threads of each worker (`dancu worker --workers` overrides it).
    jobs_workers: int = 2
    # Seconds between audit-log seals, a scheduled job (0: only `dancu audit seal`).
    audit_seal_seconds: float = 1.0
    # Seconds between purges of expired identity rows, a scheduled job (0: never).
    maintenance_seconds: float = 3600.0
    # Seconds between deliveries of outbox events left undelivered (0: `dancu outbox dispatch`).
    outbox_dispatch_seconds: float = 60.0
    # A linkage run whose heartbeat is older than this lost its worker and is resumed.
    linkage_stale_seconds: float = 120.0
    # Where uploaded sector files wait for the import job (shared with every worker).
    linkage_upload_dir: str = "var/uploads"
    # Where dossiers' uploaded components are kept, content-addressed by SHA-256.
    procedures_upload_dir: str = "var/procedures"
    # The largest file a citizen may upload for one component (bytes).
    procedures_max_upload_bytes: int = 5 * 1024 * 1024
    # An officer's lock on a dossier lapses after this many seconds without a renewal.
    procedures_lock_seconds: int = 1800
    # Seconds between escalations of dossier steps past their deadline (0: never).
    procedures_escalate_seconds: float = 3600.0
    # e-ID accounts (docs/operations.md): sessions, step-up, argon2 (OWASP: 19 MiB, t=2, p=1),
    # lock-out after wrong codes (doubling each time), one-time codes, history retention.
    identity_step_up_seconds: int = 600
    identity_session_idle_seconds: int = 1800
    identity_session_absolute_seconds: int = 8 * 3600
    # A verified API bearer token's grant is reused this long per process (0: every request
    # reads it); a revocation elsewhere takes up to this long to reach this process.
    api_token_cache_seconds: float = 2.0
    argon2_time_cost: int = 2
    argon2_memory_kib: int = 19456
    argon2_parallelism: int = 1
    identity_lockout_failures: int = 5
    identity_lockout_seconds: int = 900
    # Password sign-in (docs/identity.md, "Throttling password sign-in"): free failed tries
    # per typed ID number, then a wait before each next try that doubles, up to a cap; and
    # failed sign-ins per client address in a window before a block (doubling, at most a day).
    identity_signin_free_failures: int = 5
    identity_signin_delay_seconds: int = 2
    identity_signin_delay_max_seconds: int = 900
    identity_client_failures: int = 20
    identity_client_window_seconds: int = 600
    identity_client_block_seconds: int = 300
    identity_otp_seconds: int = 300
    identity_otp_attempts: int = 5
    identity_otp_sends: int = 5
    identity_history_years: int = 5
    # Chip verification trust list: CSCA certificates as PEM files (the demo CSCA goes here).
    identity_csca_dir: str = "var/csca"
    # This server's public URL (e.g. https://id.example.vn), no trailing slash: the OpenID
    # provider's issuer and every absolute URL it publishes. Empty: the URL each request
    # came to (development only: behind a proxy it would follow the Host header).
    public_url: str = ""
    # Passkeys: the site's public origin (e.g. https://id.example.vn); its host is the WebAuthn
    # RP ID. Empty: the origin of each request (development). Set it behind a proxy.
    identity_passkey_origin: str = ""
    # The wallet credentials' issuer (``iss``): this server's public URL, no trailing slash.
    wallet_issuer: str = "http://127.0.0.1:8000"
    # Record-linkage engine for sector data: "duckdb" (one machine) or "spark" (pyspark).
    linkage_backend: Literal["duckdb", "spark"] = "duckdb"
    # Signed results (docs/procedures-results.md): the trusted provincial CA certificates as
    # PEM files; agencies' signing keys live beside it in ``<dir>-keys/`` (demo: made on use).
    procedures_ca_dir: str = "var/procedures-ca"
    # Fees by bank transfer (VietQR): the collecting account's bank BIN (NAPAS) and number.
    procedures_payee_bank_bin: str = "970415"
    procedures_payee_account: str = "1122334455"
    procedures_payee_name: str = "KHO BAC NHA NUOC (DEMO)"
    # The National Public Service Portal's status endpoint (empty: JSON lines to the file),
    # its bearer token, and the seconds between deliveries of queued changes (0: never).
    procedures_npsp_url: str = ""
    procedures_npsp_token: str = ""
    procedures_npsp_file: str = "var/npsp-outbound.jsonl"
    procedures_npsp_seconds: float = 30.0
    # The exchange door's rate-limit store (the ``limits`` library): memory:// counts in
    # each process alone; redis://127.0.0.1:6379 shares the counts between server processes.
    exchange_rate_limit_url: str = "memory://"
    # A partner credential's life, and how long a rotated-out one keeps working (overlap).
    exchange_credential_days: int = 365
    exchange_rotation_overlap_hours: int = 24
    # A kiosk page clears itself after this many seconds without a touch or a scan.
    exchange_kiosk_idle_seconds: int = 30
    host: str = "127.0.0.1"
    port: int = 8000

    @field_validator("public_url")
    @classmethod
    def _absolute_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        parts = urlsplit(value)
        if value and (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or parts.query
            or parts.fragment
        ):
            raise ValueError("DANCU_PUBLIC_URL must be an absolute http(s) URL, no query")
        return value

    @field_validator("jobs_url")
    @classmethod
    def _known_job_store(cls, value: str) -> str:
        value = value.strip()
        if value and not value.startswith(JOB_STORES):
            raise ValueError(f"DANCU_JOBS_URL must be empty or start with one of {JOB_STORES}")
        return value

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.env == "production":
            if self.secret_key == DEV_SECRET or len(self.secret_key) < 32:
                raise ValueError("DANCU_SECRET_KEY must be set to a strong secret in production")
            if self.dev_login:
                raise ValueError("DANCU_DEV_LOGIN must be false in production")
            if not self.public_url:  # the issuer must not come from the Host header
                raise ValueError("DANCU_PUBLIC_URL must be set in production")
            if self.jobs_url.startswith("memory://"):  # other processes would never see a job
                raise ValueError("DANCU_JOBS_URL must name a shared store in production")
        return self


@cache
def get_settings() -> Settings:
    return Settings()

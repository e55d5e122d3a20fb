"""One Settings object for the whole platform (environment prefix ``DANCU_``)."""

from __future__ import annotations

from functools import cache
from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-only-secret-change-me"


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
    # Seconds between audit-log seals in each server process (0: only `dancu audit seal`).
    audit_seal_seconds: float = 1.0
    host: str = "127.0.0.1"
    port: int = 8000

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.env == "production":
            if self.secret_key == DEV_SECRET or len(self.secret_key) < 32:
                raise ValueError("DANCU_SECRET_KEY must be set to a strong secret in production")
            if self.dev_login:
                raise ValueError("DANCU_DEV_LOGIN must be false in production")
        return self


@cache
def get_settings() -> Settings:
    return Settings()

"""One typed settings object, read once at start-up from TIMEBANK_* environment variables."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-only-secret-change-me-0000000000000000"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TIMEBANK_", extra="ignore")

    env: Literal["dev", "test", "prod"] = "dev"
    database_url: str = "sqlite:///./var/timebank.db"
    # Master secret: personal-data encryption and keyed look-up hashes derive from it.
    secret_key: SecretStr = SecretStr(DEV_SECRET)
    # Ed25519 private key (64 hex chars = 32-byte seed) that signs ledger seals.
    # In dev/test it derives from secret_key; production must set it.
    seal_signing_key: SecretStr | None = None
    # Extra public keys (hex) that verification trusts, e.g. keys rotated out.
    seal_trusted_keys: list[str] = []
    timezone: str = "Asia/Shanghai"
    host: str = "127.0.0.1"
    port: int = 8000
    # Per server process: requests inside the application at once, the threads that run them
    # (blocking database work) and the PostgreSQL connections they hold (a request keeps one
    # from authentication to commit). Requests beyond wait in the event loop, which costs
    # nothing, instead of contending for the CPU and the database (docs/operations.md).
    # The pool's overflow serves the after-response supervision checks.
    worker_threads: int = Field(default=10, ge=1, le=200)
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_max_overflow: int = Field(default=5, ge=0, le=200)

    @model_validator(mode="after")
    def _refuse_dev_secrets_in_prod(self) -> Settings:
        if self.env == "prod":
            if self.secret_key.get_secret_value() == DEV_SECRET:
                raise ValueError("TIMEBANK_SECRET_KEY must be set outside dev")
            if self.seal_signing_key is None:
                raise ValueError("TIMEBANK_SEAL_SIGNING_KEY must be set outside dev")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

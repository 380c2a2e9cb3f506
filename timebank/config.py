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
    # Notices (docs/operations.md "Notices"): how they leave the building. ``log`` (dev) only
    # logs them, and the in-app inbox shows them; ``webhook`` POSTs signed JSON to a gateway
    # the city runs; ``sms`` calls an Aliyun-style SendSms API.
    notifier: Literal["log", "webhook", "sms"] = "log"
    notice_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    notice_max_attempts: int = Field(default=5, ge=1, le=50)
    notice_first_retry_seconds: int = Field(default=60, ge=1)
    notice_longest_retry_seconds: int = Field(default=6 * 3600, ge=1)
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None  # HMAC-SHA256 key of the X-Timebank-Signature
    sms_endpoint: str = "https://dysmsapi.aliyuncs.com/"
    sms_access_key_id: str | None = None
    sms_access_key_secret: SecretStr | None = None
    sms_sign_name: str | None = None  # the registered 签名, e.g. 时间银行
    sms_region: str = "cn-hangzhou"
    # Notice kind -> the provider's approved template code, as JSON in the environment:
    # {"code": "SMS_1", "watch_reminder": "SMS_2", "case_warning": "SMS_3"}
    sms_templates: dict[str, str] = {}

    @model_validator(mode="after")
    def _refuse_dev_secrets_in_prod(self) -> Settings:
        if self.env == "prod":
            if self.secret_key.get_secret_value() == DEV_SECRET:
                raise ValueError("TIMEBANK_SECRET_KEY must be set outside dev")
            if self.seal_signing_key is None:
                raise ValueError("TIMEBANK_SEAL_SIGNING_KEY must be set outside dev")
        if self.notifier == "webhook" and not (self.webhook_url and self.webhook_secret):
            raise ValueError("TIMEBANK_NOTIFIER=webhook needs TIMEBANK_WEBHOOK_URL and _SECRET")
        if self.notifier == "sms" and not (
            self.sms_access_key_id and self.sms_access_key_secret and self.sms_sign_name
        ):
            raise ValueError(
                "TIMEBANK_NOTIFIER=sms needs TIMEBANK_SMS_ACCESS_KEY_ID, "
                "TIMEBANK_SMS_ACCESS_KEY_SECRET and TIMEBANK_SMS_SIGN_NAME"
            )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

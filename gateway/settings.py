"""Settings: one validated object read from the environment (AUTOCRM_*, DATABASE_URL, REDIS_URL)."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_PLACEHOLDERS = {"changeme", "change-me", "secret", "changethis"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AUTOCRM_", env_file=".env", extra="ignore")

    data_dir: Path = Path("var")
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "AUTOCRM_DATABASE_URL")
    )
    redis_url: str | None = Field(
        default=None, validation_alias=AliasChoices("REDIS_URL", "AUTOCRM_REDIS_URL")
    )
    # Unset: a random key is made once and kept in data_dir, so restarts keep sessions valid.
    secret_key: SecretStr | None = None
    public_url: str = "http://127.0.0.1:8000"
    cookie_secure: bool = False
    max_body_bytes: int = 1_000_000
    max_attachment_bytes: int = 10_000_000
    # Outbox: how often to look for due work when nothing woke us, and retry shape.
    dispatch_interval: float = 0.5
    job_max_attempts: int = 8
    job_backoff_base: float = 2.0
    webhook_timeout: float = 5.0
    webhook_disable_after: int = 10
    # Voice transcription: a ready faster-whisper model directory (unset: the packaged model,
    # joined once into data_dir), and CPU threads (0: CTranslate2 decides).
    whisper_model_dir: Path | None = None
    whisper_threads: int = 0
    # The agent's LLM when the bot settings (admin API) leave these empty; none: retrieval mode.
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    llm_model: str | None = None

    @field_validator("secret_key")
    @classmethod
    def _reject_placeholder(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and (
            v.get_secret_value().lower() in _PLACEHOLDERS or len(v.get_secret_value()) < 16
        ):
            raise ValueError("AUTOCRM_SECRET_KEY must be a real secret of 16+ characters")
        return v

    @property
    def secret(self) -> str:
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        path = self.data_dir / ".secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(32))
            path.chmod(0o600)
        return path.read_text().strip()

    @property
    def db_url(self) -> str:
        """The async SQLAlchemy URL; the embedded default is a SQLite file in data_dir."""
        url = self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'autocrm.db'}"
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://") :]
        if url.startswith("postgresql://"):
            url = "postgresql+asyncpg://" + url[len("postgresql://") :]
        if url.startswith("sqlite:///"):
            url = "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
        return url

    @property
    def attachments_dir(self) -> Path:
        return self.data_dir / "attachments"


@lru_cache
def get_settings() -> Settings:
    return Settings()


def prepare_data_dir(settings: Settings) -> None:
    """Create the data directory, and a SQLite file's own folder if it lies elsewhere (the
    embedded default must work from a fresh, empty directory); attachments are kept there."""
    from sqlalchemy.engine import make_url

    from store import files

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = make_url(settings.db_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    files.configure(settings.attachments_dir)

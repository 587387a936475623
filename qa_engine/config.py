"""One settings object, read from the environment (prefix ``QA_``).

Tests construct ``Settings(...)`` directly; nothing mutates ``os.environ``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.rules import ClockStart, LocalVariations

__all__ = ["Settings"]


class Settings(BaseSettings):
    """Every configuration name qa-engine reads. See README, "Configuration"."""

    model_config = SettingsConfigDict(env_prefix="QA_", extra="ignore")

    data_dir: Path = Field(default=Path(".qa-engine"), description="where embedded state lives")

    # event store
    store: Literal["sqlite", "postgres"] = "sqlite"
    sqlite_path: Path | None = Field(default=None, description="default: <data_dir>/events.sqlite3")
    postgres_host: str = "127.0.0.1"
    postgres_port: int = 5432
    postgres_db: str = "qa_engine"
    postgres_user: str = "postgres"
    postgres_password: SecretStr = SecretStr("")
    postgres_schema: str = ""
    postgres_pool_size: int = 5
    cipher_key: SecretStr | None = Field(
        default=None, description="base64 AES key (16/24/32 bytes): encrypts events at rest"
    )

    # temporal
    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    temporal_task_queue: str = "qa-engine"
    temporal_tls: bool = False
    temporal_tls_cert: Path | None = None
    temporal_tls_key: Path | None = None
    temporal_api_key: SecretStr | None = None
    temporal_codec_key: SecretStr | None = Field(
        default=None, description="base64 AES key: Temporal payloads encrypted (payload codec)"
    )
    codec_server_port: int = 8081
    dev_server_port: int = 7233
    dev_server_ui_port: int = 8233

    # statutory rules
    rule_set: str = "wt2023"
    rapid_review_clock_from: ClockStart = ClockStart.NOTIFICATION
    start_day_counts_as_day_one: bool = False
    reminder_lead_working_days: int = Field(default=2, ge=0, le=20)
    lcspr_checkpoint_weeks: int = Field(default=6, ge=1, le=26)

    # read models (projections)
    amber_working_days: int = Field(
        default=3, ge=0, le=60, description="oversight RAG: amber when due within this many"
    )
    projection_poll_seconds: float = Field(default=1.0, gt=0, le=300)
    projection_batch_size: int = Field(default=500, ge=1, le=10_000)
    reporting_year_start_month: int = Field(
        default=4, ge=1, le=12, description="timeliness quarters: 4 = financial year from April"
    )

    # who the CLI records as acting (overridable per command with --actor-name/--actor-role)
    actor_name: str | None = None
    actor_role: str | None = None

    # logging
    log_level: str = "INFO"
    log_json: bool = True

    @property
    def sqlite_file(self) -> Path:
        return self.sqlite_path or self.data_dir / "events.sqlite3"

    @property
    def variations(self) -> LocalVariations:
        return LocalVariations(
            rapid_review_clock_from=self.rapid_review_clock_from,
            start_day_counts_as_day_one=self.start_day_counts_as_day_one,
            reminder_lead_working_days=self.reminder_lead_working_days,
            lcspr_checkpoint_weeks=self.lcspr_checkpoint_weeks,
        )

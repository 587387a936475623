"""One settings object, read from the environment (prefix ``QA_``).

Tests construct ``Settings(...)`` directly; nothing mutates ``os.environ``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from domain.partnership import PartnershipPolicy
from domain.qa import QaPolicy
from domain.rules import ClockStart, LocalVariations

__all__ = ["Settings"]

_MAX_LEAD = 60
#: working days before a due day, from the environment as ``10,2`` (or JSON)
WorkingDayList = Annotated[tuple[int, ...], NoDecode, Field(max_length=5)]


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
    ledger_key: SecretStr | None = Field(
        default=None,
        description="HMAC key sealing every stored record (default: made once in "
        "<data_dir>/ledger.key); every process on one store must share it",
    )
    ledger_anchor: Path | None = Field(
        default=None, description="anchor file outside the database: <data_dir>/ledger-anchor.json"
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
        default=None,
        description="base64 AES key: Temporal payloads encrypted (payload codec); default: "
        "made once in <data_dir>/temporal-codec.key; every process on one namespace must share it",
    )
    step_deadline_seconds: float = Field(
        default=30.0,
        gt=0,
        le=600,
        description="seconds a command waits for a worker's answer before exit 4",
    )
    temporal_payloads: Literal["encrypted", "plain"] = Field(
        default="encrypted",
        description="plain: send Temporal payloads unencrypted (only for a server you trust "
        "with case data, e.g. a throwaway test server)",
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

    # quality assurance (lifecycle 2): local practice, recorded on each audit, plan, concern
    audit_return_chaser_working_days: WorkingDayList = Field(
        default=(3, 1), description="chasers this many working days before a return is due"
    )
    audit_return_second_escalation_working_days: int = Field(
        default=5, ge=1, le=60, description="overdue return: second escalation after this many"
    )
    action_reminder_working_days: WorkingDayList = Field(
        default=(10, 2), description="reminders this many working days before an action is due"
    )
    action_executive_escalation_working_days: int = Field(
        default=10, ge=1, le=120, description="overdue action: chair at once, executive after"
    )
    impact_check_months: int = Field(
        default=3, ge=1, le=24, description="impact check this many months after completion"
    )
    impact_check_window_working_days: int = Field(
        default=20, ge=1, le=120, description="working days the impact check window stays open"
    )
    concern_group_manager_working_days: int = Field(
        default=2, ge=1, le=20, description="child of concern: Group Manager review due within"
    )
    concern_review_interval_days: int = Field(
        default=7, ge=1, le=31, description="child of concern: Assistant Director review interval"
    )

    # read models (projections)
    amber_working_days: int = Field(
        default=3, ge=0, le=60, description="oversight RAG: amber when due within this many"
    )
    projection_poll_seconds: float = Field(default=1.0, gt=0, le=300)
    projection_batch_size: int = Field(default=500, ge=1, le=10_000)
    reporting_year_start_month: int = Field(
        default=4, ge=1, le=12, description="timeliness quarters: 4 = financial year from April"
    )

    # the partnership this process's principal acts for (the CLI's default --partnership)
    partnership: str = Field(
        default="DEMO", description="partnership the CLI acts in (default: the demo's, DEMO)"
    )

    # who runs the CLI: the principal every command acts for and records
    actor_name: str | None = Field(default=None, description="your name, recorded on each step")
    actor_role: str | None = Field(default=None, description="your role (a domain.tenancy.Role)")
    principal_subject: str | None = Field(
        default=None, description="your stable id (default: local:<login name>)"
    )
    # NoDecode: from the environment as ``LA,POLICE``; pydantic-settings would otherwise
    # read a tuple's variable as JSON only, and ``QA_ACTOR_AGENCIES=POLICE`` failed
    actor_agencies: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(), description="an agency safeguarding lead's agencies (comma-separated)"
    )

    # HTTP API (``qa-engine web``; ``qa-engine dev`` starts it too)
    web_host: str = Field(default="127.0.0.1", description="address the HTTP API listens on")
    web_port: int = Field(default=8000, ge=1, le=65535, description="port of the HTTP API")
    web_cookie_secure: bool = Field(
        default=True,
        description="session cookies only over HTTPS (browsers treat http://localhost as secure)",
    )
    web_session_minutes: int = Field(
        default=480, ge=5, le=1440, description="a signed-in session ends after this long"
    )
    web_token_days: int = Field(
        default=30, ge=1, le=365, description="an API client's bearer token expires after this"
    )
    web_lockout_failures: int = Field(
        default=5, ge=1, le=50, description="failed sign-ins in a row before an account locks"
    )
    web_lockout_minutes: int = Field(
        default=15, ge=1, le=1440, description="how long a locked account stays locked"
    )
    web_demo_accounts: bool = Field(
        default=False,
        description="seed one demo account per role in the DEMO partnership (qa-engine dev)",
    )

    accounts_key: SecretStr | None = Field(
        default=None,
        description="base64 AES key encrypting the local accounts' TOTP secrets (default: "
        "made once in <data_dir>/accounts.key)",
    )

    # OpenID Connect sign-in (production): unset issuer = local accounts only
    oidc_issuer: str | None = Field(
        default=None, description="the identity provider's issuer URL (discovery under it)"
    )
    oidc_client_id: str = Field(default="", description="this service's client id at the issuer")
    oidc_client_secret: SecretStr = Field(
        default=SecretStr(""), description="its client secret (client_secret_basic)"
    )
    oidc_redirect_url: str = Field(
        default="",
        description="the public address of /oidc/callback, as registered at the issuer",
    )
    oidc_post_logout_redirect_url: str = Field(
        default="",
        description="where the provider sends the browser after sign-out, as registered at "
        "the issuer (default: /sign-in beside QA_OIDC_REDIRECT_URL)",
    )
    oidc_scopes: str = Field(default="openid profile", description="scopes asked for at sign-in")
    oidc_api_audience: str | None = Field(
        default=None, description="the audience bearer JWTs of API clients must carry"
    )
    oidc_claim_name: str = Field(default="name", description="claim holding the person's name")
    oidc_claim_partnership: str = Field(
        default="qa_partnership", description="claim holding the partnership code"
    )
    oidc_claim_roles: str = Field(
        default="qa_roles",
        description="claim holding the roles (a list or a space-separated string)",
    )
    oidc_claim_agencies: str = Field(
        default="qa_agencies", description="claim holding an agency lead's agency codes"
    )
    oidc_partnership: str | None = Field(
        default=None,
        description="the partnership every identity of this issuer acts for (when the "
        "provider sends no partnership claim)",
    )
    oidc_role_map: dict[str, str] = Field(
        default_factory=dict,
        description='JSON: the provider\'s role values to ours, e.g. {"LSCP.Manager": '
        '"business_manager"}; unmapped values are matched by our role names',
    )
    oidc_leeway_seconds: int = Field(
        default=30, ge=0, le=300, description="clock skew allowed on exp/iat/nbf"
    )

    # email reminders (the outbox's sender; unset smtp_host = nothing is sent)
    smtp_host: str | None = Field(default=None, description="SMTP server for reminder emails")
    smtp_port: int = Field(default=587, ge=1, le=65535, description="its port")
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        default="starttls",
        description="starttls (587), tls (implicit, 465) or none (a local relay)",
    )
    smtp_username: str = Field(default="", description="SMTP login (empty: none)")
    smtp_password: SecretStr = Field(default=SecretStr(""), description="SMTP password")
    smtp_timeout_seconds: float = Field(default=20.0, gt=0, le=300)
    email_via: Literal["smtp", "govuk_notify"] = Field(
        default="smtp",
        description="how emails go out: smtp (QA_SMTP_*) or govuk_notify (GOV.UK Notify's "
        "API through its official Python client, QA_GOVUK_NOTIFY_*)",
    )
    govuk_notify_api_key: SecretStr = Field(
        default=SecretStr(""), description="GOV.UK Notify API key (a live or test key)"
    )
    govuk_notify_template_id: str = Field(
        default="",
        description="the Notify email template: subject ((subject)), body ((body))",
    )
    govuk_notify_reply_to_id: str = Field(
        default="", description="a Notify reply-to address id (empty: the service's default)"
    )
    govuk_notify_base_url: str = Field(
        default="https://api.notifications.service.gov.uk", description="Notify's API address"
    )
    notify_from: str = Field(
        default="qa-engine@localhost", description="the From address of reminder emails"
    )
    notify_public_url: str = Field(
        default="http://localhost:8000", description="the web app's public address (links)"
    )
    notify_contacts: dict[str, list[str]] = Field(
        default_factory=dict,
        description='JSON: who is told, per partnership (and agency) and role: {"GSCP/'
        'partnership business manager": ["bm@..."], "GSCP/POLICE/agency safeguarding lead": '
        '["lead@..."]}',
    )
    notify_max_attempts: int = Field(
        default=8, ge=1, le=50, description="attempts before an email is marked failed"
    )
    notify_backoff_seconds: float = Field(
        default=30.0, gt=0, le=3600, description="first retry delay; doubles each attempt"
    )
    notify_poll_seconds: float = Field(default=5.0, gt=0, le=600)
    dev_mail_dir: Path | None = Field(
        default=None,
        description="dev only (`qa-engine dev` sets it): the local SMTP sink's Maildir; "
        "set, the web app shows what was sent at /dev/mail",
    )

    @model_validator(mode="after")
    def _govuk_notify(self) -> Settings:
        """GOV.UK Notify's key is ``name-<service id>-<secret>`` (two UUIDs at its end),
        and the template is named by its UUID."""
        if self.email_via != "govuk_notify":
            return self
        key = self.govuk_notify_api_key.get_secret_value()
        uuid = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
        if not re.fullmatch(rf".+-{uuid}-{uuid}", key):
            raise ValueError(
                "govuk_notify_api_key: a GOV.UK Notify API key ends with the service id "
                "and the secret, two UUIDs (rule: notify_api_key)"
            )
        if not re.fullmatch(uuid, self.govuk_notify_template_id):
            raise ValueError(
                "govuk_notify_template_id: the template's id, a UUID (rule: notify_template_id)"
            )
        return self

    @property
    def sends_email(self) -> bool:
        """Whether the outbox's sender runs: an SMTP server, or GOV.UK Notify, is set."""
        if self.email_via == "govuk_notify":
            return bool(self.govuk_notify_api_key.get_secret_value())
        return bool(self.smtp_host)

    # logging
    log_level: str = "INFO"
    log_json: bool = True

    @field_validator(
        "audit_return_chaser_working_days", "action_reminder_working_days", mode="before"
    )
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        """``QA_..._WORKING_DAYS=3,1`` (or JSON ``[3, 1]``, or empty for none)."""
        if isinstance(value, str):
            text = value.strip().strip("[]")
            return tuple(int(part) for part in text.split(",") if part.strip())
        return value

    @field_validator("actor_agencies", mode="before")
    @classmethod
    def _agency_list(cls, value: Any) -> Any:
        """``QA_ACTOR_AGENCIES=LA,POLICE`` (or JSON ``["LA", "POLICE"]``)."""
        if isinstance(value, str):
            text = value.strip().strip("[]")
            return tuple(p.strip().strip('"').upper() for p in text.split(",") if p.strip())
        return value

    @field_validator("audit_return_chaser_working_days", "action_reminder_working_days")
    @classmethod
    def _working_days(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(not 1 <= n <= _MAX_LEAD for n in value):
            raise ValueError(f"each must be between 1 and {_MAX_LEAD} working days")
        if len(set(value)) != len(value):
            raise ValueError("each working day may appear once")
        return tuple(sorted(value, reverse=True))

    @property
    def sqlite_file(self) -> Path:
        return self.sqlite_path or self.data_dir / "events.sqlite3"

    @property
    def ledger_anchor_file(self) -> Path:
        return self.ledger_anchor or self.data_dir / "ledger-anchor.json"

    @property
    def ledger_key_file(self) -> Path:
        return self.data_dir / "ledger.key"

    @property
    def accounts_key_file(self) -> Path:
        return self.data_dir / "accounts.key"

    @property
    def temporal_codec_key_file(self) -> Path:
        return self.data_dir / "temporal-codec.key"

    @property
    def variations(self) -> LocalVariations:
        return LocalVariations(
            rapid_review_clock_from=self.rapid_review_clock_from,
            start_day_counts_as_day_one=self.start_day_counts_as_day_one,
            reminder_lead_working_days=self.reminder_lead_working_days,
            lcspr_checkpoint_weeks=self.lcspr_checkpoint_weeks,
        )

    @property
    def partnership_defaults(self) -> PartnershipPolicy:
        """The policy a partnership is registered with when first seen (then it is data)."""
        return PartnershipPolicy(
            rule_set=self.rule_set, variations=self.variations, qa=self.qa_policy
        )

    @property
    def qa_policy(self) -> QaPolicy:
        """Local practice for new audits, action plans and children of concern."""
        return QaPolicy(
            return_chaser_working_days=self.audit_return_chaser_working_days,
            return_second_escalation_working_days=self.audit_return_second_escalation_working_days,
            action_reminder_working_days=self.action_reminder_working_days,
            escalate_to_executive_after_working_days=self.action_executive_escalation_working_days,
            impact_check_months=self.impact_check_months,
            impact_check_window_working_days=self.impact_check_window_working_days,
            concern_group_manager_working_days=self.concern_group_manager_working_days,
            concern_review_interval_days=self.concern_review_interval_days,
        )

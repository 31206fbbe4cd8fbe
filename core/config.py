"""Settings read from the environment, with embedded defaults for a laptop (SQLite, file mail, file broker)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "dev-only-not-secret"
DEFAULT_PORT = "5000"
DEV_TOTP_KEY = "ZGV2LW9ubHktbm90LXNlY3JldC1rZXktMzItYnl0ZXM="  # Fernet key for development only
# The development secrets are public: only these exact names may run with them. Anything else, a typo or a
# different spelling of "production" included, is held to production's rules (fail closed).
DEVELOPMENT_ENVIRONMENTS = ("development", "test")
MIN_SECRET_LENGTH = 32
MIN_DISTINCT_CHARACTERS = 10  # 32 times "a" is long, not secret
# The languages letters and e-mails are written in: the fund's name and address can be set for each of them.
LANGUAGES = ("de", "fr", "it", "en")
DEFAULT_FUND_NAME = "Ausgleichskasse Exfour"
DEFAULT_FUND_ADDRESS = "Ausgleichskasse Exfour|Postfach|3001 Bern"


def _var_dir() -> Path:
    return Path(os.environ.get("VAR_DIR", ROOT / "var"))


@dataclass(frozen=True)
class Settings:
    database_url: str
    broker_url: str
    secret_key: str
    code_hmac_secret: str
    totp_encryption_key: str
    var_dir: Path
    letters_dir: Path
    mail_dir: Path
    smtp_url: str
    public_base_url: str
    fund_name: str
    fund_address: tuple[str, ...]
    fund_contact_email: str
    fund_contact_phone: str
    mail_from: str
    envelope_model: str
    code_validity_days: int
    environment: str
    sms_url: str = ""
    sms_token: str = ""
    sms_dir: Path = ROOT / "var" / "sms"
    ratelimit_storage_uri: str = "memory://"
    ratelimit_auth: str = "30 per minute"  # per IP on login, second-step and code POSTs (coarse; R9 is in the DB)
    # Where members write for help (support requests, shown on pages); the fund's contact address unless set.
    support_email: str = "connect@exfour.ch"
    # Reverse proxies in front of the web app whose X-Forwarded-For may be believed; 0 believes none (R9).
    trusted_proxy_hops: int = 0
    # What /metrics and the details of /readyz need (Authorization: Bearer …); without it only development and
    # tests show them.
    ops_token: str = ""
    # FUND_NAME_FR, FUND_ADDRESS_IT, …: the fund as a letter in that language names it ("Caisse de compensation
    # Exfour, Case postale, 3001 Berne"); a language not set uses FUND_NAME and FUND_ADDRESS.
    fund_names: dict[str, str] = field(default_factory=dict)
    fund_addresses: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # LETTER_QR_CODE: letters that carry the registration link print it as a QR code too (the link only, never
    # the code); a fund that does not want it sets LETTER_QR_CODE=off.
    letter_qr_code: bool = True
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        return is_production(self.environment)

    def fund_name_in(self, language: str) -> str:
        return self.fund_names.get(language, self.fund_name)

    def fund_address_in(self, language: str) -> tuple[str, ...]:
        return self.fund_addresses.get(language, self.fund_address)


def is_production(environment: str | None) -> bool:
    return environment not in DEVELOPMENT_ENVIRONMENTS


def weak_secret(value: str) -> str | None:
    """Why a secret is too weak for production, or None."""
    if value in (DEV_SECRET, DEV_TOTP_KEY):
        return "still the development value"
    if len(value) < MIN_SECRET_LENGTH:
        return f"shorter than {MIN_SECRET_LENGTH} characters"
    if len(set(value)) < MIN_DISTINCT_CHARACTERS:
        return f"fewer than {MIN_DISTINCT_CHARACTERS} different characters: not random"
    return None


def _hops(value: str) -> int:
    if not value.strip().isdigit():
        raise ValueError(f"TRUSTED_PROXY_HOPS must be a whole number of proxies (0 or more), not {value!r}")
    return int(value)


_ON, _OFF = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _switch(name: str, value: str) -> bool:
    """An on/off setting; anything else is refused rather than guessed."""
    word = value.strip().lower()
    if word not in _ON + _OFF:
        raise ValueError(f"{name} must be on or off, not {value!r}")
    return word in _ON


def load() -> Settings:
    env = os.environ.get
    var = _var_dir()
    return Settings(
        database_url=env("DATABASE_URL", f"sqlite:///{var / 'backoffice.sqlite'}"),
        broker_url=env("BROKER_URL", f"sqla+sqlite:///{var / 'broker.sqlite'}"),
        secret_key=env("SECRET_KEY", DEV_SECRET),
        code_hmac_secret=env("CODE_HMAC_SECRET", DEV_SECRET),
        totp_encryption_key=env("TOTP_ENCRYPTION_KEY", DEV_TOTP_KEY),
        var_dir=var,
        letters_dir=Path(env("LETTERS_DIR", str(var / "letters"))),
        mail_dir=Path(env("MAIL_DIR", str(var / "mail"))),
        smtp_url=env("SMTP_URL", ""),
        public_base_url=public_base_url(os.environ),
        fund_name=env("FUND_NAME", DEFAULT_FUND_NAME),
        fund_address=_address_lines(env("FUND_ADDRESS", DEFAULT_FUND_ADDRESS)),
        fund_contact_email=env("FUND_CONTACT_EMAIL", "connect@exfour.ch"),
        fund_contact_phone=env("FUND_CONTACT_PHONE", "+41 31 000 00 00"),
        mail_from=env("MAIL_FROM", "connect@exfour.ch"),
        envelope_model=env("ENVELOPE_MODEL", "C5_LEFT"),
        code_validity_days=int(env("CODE_VALIDITY_DAYS", "21")),
        environment=env("ENVIRONMENT", ""),
        sms_url=env("SMS_URL", ""),
        sms_token=env("SMS_TOKEN", ""),
        sms_dir=Path(env("SMS_DIR", str(var / "sms"))),
        ratelimit_storage_uri=env("RATELIMIT_STORAGE_URI", "memory://"),
        ratelimit_auth=env("RATELIMIT_AUTH", "30 per minute"),
        support_email=env("SUPPORT_EMAIL", env("FUND_CONTACT_EMAIL", "connect@exfour.ch")),
        trusted_proxy_hops=_hops(env("TRUSTED_PROXY_HOPS", "0")),
        ops_token=env("OPS_TOKEN", ""),
        fund_names=per_language(os.environ, "FUND_NAME"),
        fund_addresses={lang: _address_lines(value)
                        for lang, value in per_language(os.environ, "FUND_ADDRESS").items()},
        letter_qr_code=_switch("LETTER_QR_CODE", env("LETTER_QR_CODE", "on")),
    )


def _address_lines(value: str) -> tuple[str, ...]:
    return tuple(value.split("|"))


def per_language(environ: Mapping[str, str], name: str) -> dict[str, str]:
    """NAME_DE, NAME_FR, NAME_IT, NAME_EN as set (and not blank), by language."""
    found = {lang: environ.get(f"{name}_{lang.upper()}", "").strip() for lang in LANGUAGES}
    return {lang: value for lang, value in found.items() if value}


def public_base_url(environ: Mapping[str, str]) -> str:
    """Where people reach the portal, as printed on letters and e-mails: PUBLIC_BASE_URL, or else the local port
    the web process serves (PORT), so that the links of `PORT=5111 make run` lead to the running site."""
    configured = environ.get("PUBLIC_BASE_URL", "").strip()
    if configured:
        return configured.rstrip("/")
    return f"http://127.0.0.1:{environ.get('PORT') or DEFAULT_PORT}"


_settings: Settings | None = None


def get() -> Settings:
    global _settings
    if _settings is None:
        _settings = load()
    return _settings


def reset() -> None:
    """Forget the cached settings (tests change the environment)."""
    global _settings
    _settings = None


class InsecureConfiguration(RuntimeError):
    pass


def check_production(settings: Settings) -> None:
    """Refuse to run outside development and tests with weak, public or reused secrets."""
    if not settings.is_production:
        return
    secrets = (("SECRET_KEY", settings.secret_key), ("CODE_HMAC_SECRET", settings.code_hmac_secret))
    weak = [name for name, value in secrets if weak_secret(value)]
    if settings.totp_encryption_key == DEV_TOTP_KEY:
        weak.append("TOTP_ENCRYPTION_KEY")
    if weak:
        raise InsecureConfiguration(
            f"ENVIRONMENT is {settings.environment!r}, not one of {', '.join(DEVELOPMENT_ENVIRONMENTS)}: set "
            f"{', '.join(weak)} to strong random secrets of your own (or ENVIRONMENT=development on a laptop)")
    if settings.secret_key == settings.code_hmac_secret:
        raise InsecureConfiguration("SECRET_KEY and CODE_HMAC_SECRET are the same: give each its own random value")


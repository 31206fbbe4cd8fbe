"""Settings fail closed: the public development secrets run only where ENVIRONMENT says development or test, and
weak or reused secrets are refused everywhere else."""

import secrets

import pytest
from cryptography.fernet import Fernet

from core import config


def _strong(monkeypatch) -> None:
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(48))
    monkeypatch.setenv("CODE_HMAC_SECRET", secrets.token_urlsafe(48))
    monkeypatch.setenv("TOTP_ENCRYPTION_KEY", Fernet.generate_key().decode())


@pytest.mark.parametrize("environment", ["production", "Production", "PRODUCTION", "prod", " production", "",
                                         "staging", "Development", "test "])
def test_anything_but_development_or_test_refuses_the_development_secrets(monkeypatch, environment):
    monkeypatch.setenv("ENVIRONMENT", environment)
    with pytest.raises(config.InsecureConfiguration, match="SECRET_KEY, CODE_HMAC_SECRET, TOTP_ENCRYPTION_KEY"):
        config.check_production(config.load())


def test_an_unset_environment_is_held_to_production_rules(monkeypatch):
    monkeypatch.delenv("ENVIRONMENT", raising=False)
    assert config.load().is_production
    with pytest.raises(config.InsecureConfiguration):
        config.check_production(config.load())


@pytest.mark.parametrize("environment", ["development", "test"])
def test_development_and_tests_run_with_the_development_secrets(monkeypatch, environment):
    for name in ("SECRET_KEY", "CODE_HMAC_SECRET", "TOTP_ENCRYPTION_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ENVIRONMENT", environment)
    config.check_production(config.load())


def test_production_accepts_own_strong_secrets(monkeypatch):
    monkeypatch.setenv("ENVIRONMENT", "production")
    _strong(monkeypatch)
    config.check_production(config.load())


@pytest.mark.parametrize("weak", ["a" * 32, "ab" * 40, "0123456789"[:9] * 5, "short-but-random-Xy7"])
def test_production_refuses_long_but_weak_secrets(monkeypatch, weak):
    monkeypatch.setenv("ENVIRONMENT", "production")
    _strong(monkeypatch)
    monkeypatch.setenv("SECRET_KEY", weak)
    with pytest.raises(config.InsecureConfiguration, match="SECRET_KEY"):
        config.check_production(config.load())


def test_production_refuses_the_same_value_for_both_secrets(monkeypatch):
    monkeypatch.setenv("ENVIRONMENT", "production")
    _strong(monkeypatch)
    shared = secrets.token_urlsafe(48)
    monkeypatch.setenv("SECRET_KEY", shared)
    monkeypatch.setenv("CODE_HMAC_SECRET", shared)
    with pytest.raises(config.InsecureConfiguration, match="the same") as refused:
        config.check_production(config.load())
    assert shared not in str(refused.value)  # the message names secrets, never their values


def test_the_test_clock_is_refused_outside_development_and_tests(monkeypatch, tmp_path):
    from core import clock

    offset = tmp_path / "offset"
    offset.write_text("60")
    monkeypatch.setenv("BACKOFFICE_CLOCK_FILE", str(offset))
    monkeypatch.setenv("ENVIRONMENT", "Production")
    with pytest.raises(RuntimeError, match="tests only"):
        clock.now()


@pytest.mark.parametrize("value", ["-1", "one", "1.5", " "])
def test_trusted_proxy_hops_is_a_whole_number(monkeypatch, value):
    monkeypatch.setenv("TRUSTED_PROXY_HOPS", value)
    with pytest.raises(ValueError, match="TRUSTED_PROXY_HOPS"):
        config.load()


def test_the_funds_name_and_address_can_be_set_per_language_and_fall_back_to_the_plain_setting(monkeypatch):
    monkeypatch.setenv("FUND_NAME", "Ausgleichskasse Exfour")
    monkeypatch.setenv("FUND_ADDRESS", "Ausgleichskasse Exfour|Postfach|3001 Bern")
    monkeypatch.setenv("FUND_NAME_FR", "Caisse de compensation Exfour")
    monkeypatch.setenv("FUND_ADDRESS_FR", "Caisse de compensation Exfour|Case postale|3001 Berne")
    monkeypatch.setenv("FUND_NAME_IT", "Cassa di compensazione Exfour")
    monkeypatch.setenv("FUND_ADDRESS_IT", "  ")  # blank: as if not set
    monkeypatch.delenv("FUND_NAME_EN", raising=False)
    settings = config.load()
    assert [settings.fund_name_in(lang) for lang in config.LANGUAGES] == [
        "Ausgleichskasse Exfour", "Caisse de compensation Exfour", "Cassa di compensazione Exfour",
        "Ausgleichskasse Exfour"]
    assert settings.fund_address_in("fr") == ("Caisse de compensation Exfour", "Case postale", "3001 Berne")
    assert settings.fund_address_in("it") == settings.fund_address_in("de") == settings.fund_address

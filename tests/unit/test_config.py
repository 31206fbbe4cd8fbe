import pytest

from core import config


def test_production_refuses_development_secrets(monkeypatch):
    monkeypatch.setenv("ENVIRONMENT", "production")
    with pytest.raises(config.InsecureConfiguration, match="SECRET_KEY, CODE_HMAC_SECRET, TOTP_ENCRYPTION_KEY"):
        config.check_production(config.load())


def test_production_accepts_own_secrets(monkeypatch):
    from cryptography.fernet import Fernet

    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("CODE_HMAC_SECRET", "h" * 40)
    monkeypatch.setenv("TOTP_ENCRYPTION_KEY", Fernet.generate_key().decode())
    config.check_production(config.load())

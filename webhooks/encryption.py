"""Webhook secrets and keys encrypted at rest (Fernet: AES-128-CBC + HMAC-SHA256).

Keys come from STATIONHOOKS_ENCRYPTION_KEYS (comma-separated Fernet keys, newest first).
Values are encrypted with the first and decrypted with any, so a key is rotated by putting
a new one first, running `manage.py reencrypt_secrets`, then dropping the old one.
Without the variable, a key is derived from SECRET_KEY (fine for `make run`; in
production set the variable, or changing SECRET_KEY makes the stored secrets unreadable).
"""

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.db import models

__all__ = ["EncryptedTextField", "decrypt", "encrypt", "fernet", "generate_key", "reencrypt"]


def generate_key() -> str:
    return Fernet.generate_key().decode()


@cache
def _fernet_for(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    if not keys:
        derived = hashlib.sha256(f"stationhooks-secrets:{secret_key}".encode()).digest()
        keys = (base64.urlsafe_b64encode(derived).decode(),)
    return MultiFernet([Fernet(key.encode()) for key in keys])


def fernet() -> MultiFernet:
    return _fernet_for(tuple(settings.STATIONHOOKS_ENCRYPTION_KEYS), settings.SECRET_KEY)


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    return fernet().decrypt(token.encode()).decode()


def reencrypt(token: str) -> str:
    """The same value encrypted with the newest key."""
    return fernet().rotate(token.encode()).decode()


class EncryptedTextField(models.TextField):
    """Text stored encrypted; the empty string stays empty (nothing to hide). Not
    searchable or comparable in queries: each encryption of a value differs."""

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else value

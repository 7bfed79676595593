"""Ingest URL tokens: the unguessable part of `/in/<token>/`.

A token is 256 random bits, URL-safe base64 (43 characters). The source keeps it
encrypted (to show it with a copy button) and its SHA-256 hash in clear (to find the source
of a request with one indexed lookup); the hash of a secret this long reveals nothing.
"""

import hashlib
import logging
import re
import secrets

__all__ = ["RedactIngestTokens", "hash_token", "looks_like_token", "new_token"]

TOKEN_BYTES = 32
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,128}")
_INGEST_PATH = re.compile(r"/in/[^/\s\"']+")


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_token(text: str) -> bool:
    """Whether `text` could be a token at all (anything else is answered 404 at once)."""
    return bool(_TOKEN.fullmatch(text))


class RedactIngestTokens(logging.Filter):
    """A log filter: the token in an ingest URL (`/in/<token>/`) is the source's credential,
    so lines that show the path (Django's "Unauthorized: /in/…/" warnings, request
    logs) show `/in/[redacted]/` instead. Installed on the log handlers (settings.LOGGING)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/in/" in message:
            record.msg, record.args = _INGEST_PATH.sub("/in/[redacted]", message), None
        return True

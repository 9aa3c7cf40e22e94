"""Passwords (argon2 via pwdlib) and login tokens (random, stored only as a keyed hash)."""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

__all__ = ["Role", "hash_password", "new_token", "token_digest", "verify_password"]

_HASHER = PasswordHash((Argon2Hasher(),))
_DUMMY_HASH = _HASHER.hash("not a password: equalises the time of unknown-user logins")


class Role(enum.StrEnum):
    """What a user may do: admins everything, planners all but users, drivers their truck."""

    ADMIN = "admin"
    PLANNER = "planner"
    DRIVER = "driver"


def hash_password(password: str) -> str:
    """An argon2 hash of ``password``."""
    return _HASHER.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """True when ``password`` matches; a missing hash still costs one verification."""
    if password_hash is None:
        _HASHER.verify(password, _DUMMY_HASH)
        return False
    try:
        return _HASHER.verify(password, password_hash)
    except Exception:  # a corrupt hash is a failed login, not a server error
        return False


def new_token() -> str:
    """A fresh opaque login token for the client."""
    return secrets.token_urlsafe(32)


def token_digest(token: str, secret_key: str) -> str:
    """The keyed hash under which a token is stored (a stolen table reveals no token)."""
    return hmac.new(secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()

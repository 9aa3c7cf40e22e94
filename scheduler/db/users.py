"""Users, login tokens and the per-user login rate limit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from scheduler.db.tables import LoginFailure, Token, Truck, User
from scheduler.db.types import utcnow
from scheduler.errors import Conflict, InvalidProblem, NotFound
from scheduler.expiring import Expiring
from scheduler.security import Role, hash_password, new_token, token_digest, verify_password

__all__ = [
    "LoginCache",
    "add_user",
    "authenticate",
    "failures_since",
    "issue_token",
    "revoke_token",
    "user_by_name",
    "user_for_token",
]

MIN_PASSWORD = 8


def user_by_name(session: Session, name: str) -> User | None:
    """The user called ``name``, or None."""
    return session.scalar(select(User).where(User.name == name))


def add_user(
    session: Session, *, name: str, role: Role, password: str, truck_id: str | None = None
) -> User:
    """Create a user; a driver needs an existing truck, others none."""
    problems: list[tuple[str, str]] = []
    if not name.strip() or len(name) > 100:
        problems.append(("name", "must be 1 to 100 characters"))
    if len(password) < MIN_PASSWORD:
        problems.append(("password", f"must be at least {MIN_PASSWORD} characters"))
    if role is Role.DRIVER and not truck_id:
        problems.append(("truck_id", "a driver is bound to one truck"))
    if role is not Role.DRIVER and truck_id:
        problems.append(("truck_id", "only drivers are bound to a truck"))
    if truck_id and session.get(Truck, truck_id) is None:
        problems.append(("truck_id", f"no truck '{truck_id}'"))
    if problems:
        raise InvalidProblem(problems)
    if user_by_name(session, name) is not None:
        raise Conflict(f"a user called '{name}' exists already")
    user = User(
        name=name, role=role.value, truck_id=truck_id, password_hash=hash_password(password)
    )
    session.add(user)
    session.flush()
    return user


def failures_since(session: Session, name: str, since: datetime) -> int:
    """Failed logins for ``name`` since ``since``."""
    query = select(func.count(LoginFailure.id)).where(
        LoginFailure.user_name == name, LoginFailure.at >= since
    )
    return int(session.scalar(query) or 0)


def authenticate(session: Session, name: str, password: str) -> User | None:
    """The active user when the password matches; a failure is recorded for the rate limit."""
    user = user_by_name(session, name)
    ok = verify_password(password, user.password_hash if user else None)
    if user is not None and ok and user.active:
        session.execute(delete(LoginFailure).where(LoginFailure.user_name == name))
        return user
    session.add(LoginFailure(user_name=name[:100]))
    return None


def issue_token(session: Session, user: User, secret_key: str, ttl: timedelta) -> tuple[str, Token]:
    """A new login token for ``user`` (returned once; only its hash is stored)."""
    token = new_token()
    row = Token(
        user_id=user.id,
        token_hash=token_digest(token, secret_key),
        expires_at=utcnow() + ttl,
    )
    session.add(row)
    session.flush()
    return token, row


@dataclass(frozen=True, slots=True)
class _Login:
    user_id: int
    name: str
    role: str
    truck_id: str | None
    token_id: int
    expires_at: datetime


class LoginCache(Expiring[str, _Login]):
    """Valid logins by token hash for a few seconds, so a busy endpoint (the driver's day,
    polled by every phone) does not look the token up on every request. Logout and user
    deactivation in this process forget at once; other worker processes within ``ttl_s``."""

    def __init__(self, ttl_s: float = 5.0, size: int = 4096) -> None:
        super().__init__(ttl_s, size)

    def login(self, digest: str) -> tuple[User, Token] | None:
        """A fresh, unexpired cached login as detached rows, or None."""
        login = self.get(digest)
        if login is None or login.expires_at <= utcnow():
            return None
        user = User(
            id=login.user_id,
            name=login.name,
            role=login.role,
            truck_id=login.truck_id,
            active=True,
            password_hash="",
        )
        token = Token(
            id=login.token_id, user_id=login.user_id, token_hash=digest, expires_at=login.expires_at
        )
        return user, token

    def remember(self, digest: str, user: User, token: Token) -> None:
        """Keep a login just checked against the database."""
        login = _Login(user.id, user.name, user.role, user.truck_id, token.id, token.expires_at)
        self.put(digest, login)


def user_for_token(
    session: Session, token: str, secret_key: str, cache: LoginCache | None = None
) -> tuple[User, Token]:
    """The user behind a valid (known, unexpired, unrevoked) token; NotFound otherwise.
    One query (token joined to its user), or none when ``cache`` knows the token."""
    digest = token_digest(token, secret_key)
    if cache is not None and (hit := cache.login(digest)) is not None:
        return hit
    found = session.execute(
        select(User, Token).join(Token, Token.user_id == User.id).where(Token.token_hash == digest)
    ).first()
    if found is None:
        raise NotFound("invalid or expired token")
    user, row = found[0], found[1]
    if row.revoked_at is not None or row.expires_at <= utcnow() or not user.active:
        raise NotFound("invalid or expired token")
    if cache is not None:
        cache.remember(digest, user, row)
    return user, row


def revoke_token(session: Session, token: Token) -> None:
    """Log out: the token stops working at once."""
    token.revoked_at = utcnow()

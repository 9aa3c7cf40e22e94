"""Users, login tokens and the per-user login rate limit."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from scheduler.db.tables import LoginFailure, Token, Truck, User
from scheduler.db.types import utcnow
from scheduler.errors import Conflict, InvalidProblem, NotFound
from scheduler.security import Role, hash_password, new_token, token_digest, verify_password

__all__ = [
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


def user_for_token(session: Session, token: str, secret_key: str) -> tuple[User, Token]:
    """The user behind a valid (known, unexpired, unrevoked) token; NotFound otherwise."""
    row = session.scalar(select(Token).where(Token.token_hash == token_digest(token, secret_key)))
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        raise NotFound("invalid or expired token")
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise NotFound("invalid or expired token")
    return user, row


def revoke_token(session: Session, token: Token) -> None:
    """Log out: the token stops working at once."""
    token.revoked_at = utcnow()

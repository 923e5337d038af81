"""Auth (tokens), the current user, and user administration."""

from __future__ import annotations

from flask import request

from bridgefund.api import export, paging
from bridgefund.api.blueprint import Blueprint
from bridgefund.schemas.common import page_of
from bridgefund.schemas.registry import (
    LoginSchema,
    TokenSchema,
    UserCreateSchema,
    UserListArgs,
    UserPatchSchema,
    UserSchema,
)
from bridgefund.services import auth, registry
from bridgefund.web import access, actor, auth_config, current_api_token, db, g, session

blp = Blueprint("users", __name__, description="Authentication and users")


@blp.post("/auth/token")
@access(auth.login)
@blp.arguments(LoginSchema)
@blp.response(200, TokenSchema)
def login(body: dict):  # noqa: ANN201
    """Exchange a username and password for a bearer token.

    The token (valid `BRIDGEFUND_TOKEN_TTL_MINUTES`, default 8 hours) goes in `Authorization: Bearer <token>` on every
    other call. Writes a `login` audit event, or `login_failed` on a wrong password. 401 for a wrong or inactive login
    (never saying which); after `BRIDGEFUND_LOGIN_MAX_FAILURES` failures for one username, 429 with `Retry-After` until
    the lock expires.
    """
    issued = auth.login(auth_config(), db().sessionmaker, body["username"], body["password"], now=g.started,
                        request_id=g.request_id, ip=request.remote_addr)
    return {"token": issued.token, "expires_at": issued.expires_at, "user": issued.user}


@blp.delete("/auth/token")
@access(auth.revoke)
@blp.response(204)
def logout() -> None:
    """Revoke the token presented with this request.

    Logging out: the token answers 401 from the next request on. Other tokens of the same user stay valid. Answers 204
    with no body; writes a `logout` audit event.
    """
    auth.revoke(session(), actor(), current_api_token(), now=g.started)


@blp.get("/me")
@access(registry.get_user_self)
@blp.response(200, UserSchema)
def me():  # noqa: ANN201
    """Show the authenticated user.

    Who the token belongs to: username, role and (for a bank officer) the bank whose records they see. Changes nothing.
    """
    return registry.get_user_self(session(), actor())


@blp.get("/users")
@access(registry.list_users)
@blp.arguments(UserListArgs, location="query")
@blp.response(200, page_of(UserSchema, keyset=True))
@export.exportable(UserSchema, export.USERS)
def list_users(args: dict):  # noqa: ANN201
    """List users.

    Every user, newest first, optionally filtered by `role`; keyset paging with `after_id`. Password hashes are never
    shown. Changes nothing.
    """
    return registry.list_users(session(), actor(), **paging(args), role=args.get("role"))


@blp.post("/users")
@access(registry.create_user)
@blp.arguments(UserCreateSchema)
@blp.response(201, UserSchema)
def create_user(body: dict):  # noqa: ANN201
    """Create a user; ``bank_id`` is required exactly when the role is bank_officer.

    The password is stored as an Argon2 hash. Writes a `create` audit event. 409 when the username is taken; 422 for a
    missing or unknown `bank_id` on a bank officer, or a `bank_id` on any other role.
    """
    return registry.create_user(session(), actor(), auth_config(), **body)


@blp.get("/users/<int:user_id>")
@access(registry.get_user)
@blp.response(200, UserSchema)
def get_user(user_id: int):  # noqa: ANN201
    """Show a user.

    One user's account (role, bank, active flag). 404 for an unknown id. Changes nothing.
    """
    return registry.get_user(session(), actor(), user_id)


@blp.patch("/users/<int:user_id>")
@access(registry.update_user)
@blp.arguments(UserPatchSchema)
@blp.response(200, UserSchema)
def patch_user(body: dict, user_id: int):  # noqa: ANN201
    """Change a user's role, active flag or password.

    Deactivating a user revokes their tokens. An admin may not demote or deactivate themselves (422); the role/bank
    pairing follows the rules of creation (422). Writes an `update` audit event with the before and after values.
    """
    return registry.update_user(session(), actor(), auth_config(), user_id, body)

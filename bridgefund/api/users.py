"""Auth (tokens), the current user, and user administration."""

from __future__ import annotations

from flask import request
from flask_smorest import Blueprint

from bridgefund.api import paging
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
from bridgefund.web import ANY, PUBLIC, access, actor, auth_config, current_api_token, g, session

blp = Blueprint("users", __name__, description="Authentication and users")


@blp.post("/auth/token")
@access(PUBLIC)
@blp.arguments(LoginSchema)
@blp.response(200, TokenSchema)
def login(body: dict):  # noqa: ANN201
    """Exchange a username and password for a bearer token."""
    from bridgefund.web import db

    issued = auth.login(auth_config(), db().sessionmaker, body["username"], body["password"], now=g.started,
                        request_id=g.request_id, ip=request.remote_addr)
    return {"token": issued.token, "expires_at": issued.expires_at, "user": issued.user}


@blp.delete("/auth/token")
@access(ANY)
@blp.response(204)
def logout() -> None:
    """Revoke the token presented with this request."""
    auth.revoke(session(), actor(), current_api_token(), now=g.started)


@blp.get("/me")
@access(ANY)
@blp.response(200, UserSchema)
def me():  # noqa: ANN201
    """Show the authenticated user."""
    return registry.get_user_self(session(), actor())


@blp.get("/users")
@access("admin")
@blp.arguments(UserListArgs, location="query")
@blp.response(200, page_of(UserSchema, keyset=True))
def list_users(args: dict):  # noqa: ANN201
    """List users."""
    return registry.list_users(session(), actor(), **paging(args), role=args.get("role"))


@blp.post("/users")
@access("admin")
@blp.arguments(UserCreateSchema)
@blp.response(201, UserSchema)
def create_user(body: dict):  # noqa: ANN201
    """Create a user; ``bank_id`` is required exactly when the role is bank_officer."""
    return registry.create_user(session(), actor(), auth_config(), **body)


@blp.get("/users/<int:user_id>")
@access("admin")
@blp.response(200, UserSchema)
def get_user(user_id: int):  # noqa: ANN201
    """Show a user."""
    return registry.get_user(session(), actor(), user_id)


@blp.patch("/users/<int:user_id>")
@access("admin")
@blp.arguments(UserPatchSchema)
@blp.response(200, UserSchema)
def patch_user(body: dict, user_id: int):  # noqa: ANN201
    """Change a user's role, active flag or password."""
    return registry.update_user(session(), actor(), auth_config(), user_id, body)

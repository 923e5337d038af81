"""Who may do what: every service operation's permission, declared once, next to the operation.

A service function states who may call it with a decorator::

    @allows(Role.fund_manager)
    def approve(session: Session, actor: Actor, loan_id: int, ...) -> BridgeLoan: ...

That one declaration is

- **enforced** by the operation itself: a role outside it gets :class:`~bridgefund.errors.Forbidden` (403) before
  the operation reads or changes anything, whoever calls it (the API, the console, a job, the CLI);
- **asked** by every face of the service, never restated: the HTTP boundary derives its pre-parse role check, the
  OpenAPI ``x-roles`` and the documented 403 from it (``bridgefund.web.access(operation)``); the staff console asks
  :func:`may` whether to show a button;
- **listed** in :data:`PERMISSIONS`, keyed by operation name (``"bridge_loans.approve"``), which a test compares with
  the routes and with what the access matrix reaches.

Who can be named: roles of :class:`~bridgefund.models.user.Role`; :data:`SIGNED_IN` (every role: the operation scopes
what an officer sees by bank itself); :data:`PUBLIC` (no sign-in at all: logging in). The system actor (the command
line, the demo loader) may do everything. Bank scoping is not a question of role: another bank's record is a 404 from
the operation's own scoped lookup, never a 403 (no enumeration).
"""

from __future__ import annotations

import enum
import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from bridgefund.errors import Forbidden
from bridgefund.models.user import Role

F = TypeVar("F", bound=Callable[..., Any])

#: The role of the command line and the demo loader (``services.actor.SYSTEM``): every operation allows it.
SYSTEM_ROLE = "system"


class Audience(enum.StrEnum):
    """Who may call an operation when it is not a list of roles."""

    public = "public"  # anyone, without signing in
    signed_in = "any"  # every signed-in role


PUBLIC = Audience.public
SIGNED_IN = Audience.signed_in


class Acting(Protocol):
    """What a permission looks at: the actor's role (``services.actor.Actor`` has it)."""

    @property
    def role(self) -> str: ...


@dataclass(frozen=True)
class Permission:
    """Who may call one service operation."""

    operation: str  # "module.function", e.g. "bridge_loans.approve"
    roles: frozenset[Role]  # empty for an audience
    audience: Audience | None = None

    def allows(self, role: str | None) -> bool:
        """Whether an actor of ``role`` (None: not signed in) may call the operation."""
        if self.audience is Audience.public:
            return True
        if role is None:
            return False
        return role == SYSTEM_ROLE or self.audience is Audience.signed_in or role in self.roles

    @property
    def rule(self) -> tuple[str, ...]:
        """The permission as plain words, in :class:`Role` order: ``("public",)``, ``("any",)`` or role names."""
        if self.audience is not None:
            return (self.audience.value,)
        return tuple(r.value for r in Role if r in self.roles)

    def describe(self) -> str:
        return " or ".join(self.rule)


#: Every declared operation's permission, by operation name (filled as the service modules are imported).
PERMISSIONS: dict[str, Permission] = {}


def operation_name(fn: Callable[..., Any]) -> str:
    """``bridgefund.services.bridge_loans.approve`` → ``"bridge_loans.approve"``."""
    module = fn.__module__.removeprefix("bridgefund.").removeprefix("services.")
    return f"{module}.{fn.__qualname__}"


def allows(*who: Role | Audience) -> Callable[[F], F]:
    """Declare and enforce who may call a service operation: ``@allows(Role.admin, Role.fund_manager)``,
    ``@allows(SIGNED_IN)`` or ``@allows(PUBLIC)``.

    The operation finds its actor in its ``actor`` parameter; one that names roles must have one (checked at import).
    An operation open to every signed-in role or to the public may take no actor: there is nothing to refuse.
    """
    audiences = [w for w in who if isinstance(w, Audience)]
    roles = frozenset(Role(w) for w in who if not isinstance(w, Audience))
    if not who or (audiences and (len(who) > 1)):
        raise TypeError("allows() takes roles, or exactly one of PUBLIC and SIGNED_IN")

    def decorate(fn: F) -> F:
        name = operation_name(fn)
        if name in PERMISSIONS:
            raise RuntimeError(f"{name} declares its permission twice")
        permission = Permission(name, roles, audiences[0] if audiences else None)
        params = list(inspect.signature(fn).parameters)
        position = params.index("actor") if "actor" in params else None
        if position is None and permission.audience is None:
            raise TypeError(f"{name} allows only some roles but takes no actor to check")

        @functools.wraps(fn)
        def operation(*args: Any, **kwargs: Any) -> Any:
            if position is None:
                reached(permission)
            else:
                check(kwargs["actor"] if "actor" in kwargs else args[position], permission)
            return fn(*args, **kwargs)

        operation.permission = permission  # type: ignore[attr-defined]
        PERMISSIONS[name] = permission
        return operation  # type: ignore[return-value]

    return decorate


def permission_of(operation: Callable[..., Any] | str) -> Permission:
    """The declared permission of a service operation (the function, or its name); KeyError if it declares none."""
    if isinstance(operation, str):
        return PERMISSIONS[operation]
    permission = getattr(operation, "permission", None)
    if not isinstance(permission, Permission):
        raise KeyError(f"{operation_name(operation)} declares no permission (decorate it with authority.allows)")
    return permission


def may(actor: Acting | None, operation: Callable[..., Any] | str) -> bool:
    """Whether ``actor`` (None: nobody signed in) may call ``operation``: what a console asks to show a button.

    Only the role is asked here; whether a record is the actor's bank's is the operation's own scoped lookup.
    """
    return permission_of(operation).allows(None if actor is None else actor.role)


def check(actor: Acting | None, permission: Permission) -> None:
    """403 unless ``actor`` may call the operation of ``permission`` (every declared operation passes here first)."""
    reached(permission)
    if not permission.allows(None if actor is None else actor.role):
        role = "nobody signed in" if actor is None else f"role {actor.role}"
        raise Forbidden(f"{role} may not call {permission.operation} (needs {permission.describe()})")


def reached(permission: Permission) -> None:
    """Called each time an operation is entered, before its check (a test records which operations were reached)."""

"""Who is acting: the authenticated user plus the request's id and address, for rules and audit."""

from __future__ import annotations

from dataclasses import dataclass

from bridgefund.authority import SYSTEM_ROLE
from bridgefund.errors import Forbidden, RuleViolation
from bridgefund.models.user import Role


@dataclass(frozen=True)
class Actor:
    """Who may do what is not asked here: each service operation declares it (``bridgefund.authority``)."""

    id: int | None
    username: str
    role: str
    bank_id: int | None = None
    request_id: str | None = None
    ip: str | None = None

    @property
    def is_officer(self) -> bool:
        return self.role == Role.bank_officer

    def acting_bank(self, bank_id: int | None) -> int:
        """The bank a new loan is for: an officer's own (naming another is 403); staff must name one (422)."""
        if self.is_officer:
            if bank_id is not None and bank_id != self.bank_id:
                raise Forbidden("a bank officer acts for their own bank only", {"bank_id": ["not your bank"]})
            return self.bank_id  # type: ignore[return-value] - officers always have a bank
        if bank_id is None:
            raise RuleViolation.on("bank_id", f"required when a {self.role} acts")
        return bank_id

    def sees_bank(self, bank_id: int | None) -> bool:
        """Bank scoping: an officer sees only their own bank's records."""
        return not self.is_officer or bank_id == self.bank_id


#: The command line and the demo loader act as this.
SYSTEM = Actor(id=None, username="system", role=SYSTEM_ROLE)

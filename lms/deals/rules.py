"""What every deal module shares: the error for people, which statuses are open or closed,
and the decisions vendor staff take with the status moves each may make."""

from __future__ import annotations

from lms.models import DealStatus

OPEN_STATUSES = (DealStatus.REGISTERED, DealStatus.APPROVED)
CLOSED_STATUSES = (DealStatus.WON, DealStatus.LOST)
ACTIONS = {
    "approve": DealStatus.APPROVED,
    "reject": DealStatus.REJECTED,
    "won": DealStatus.WON,
    "lost": DealStatus.LOST,
}
# Status moves vendor staff may make on the web (imports set whatever the CRM says).
TRANSITIONS = {
    DealStatus.REGISTERED: (DealStatus.APPROVED, DealStatus.REJECTED, DealStatus.WON,
                            DealStatus.LOST),
    DealStatus.APPROVED: (DealStatus.WON, DealStatus.LOST),
}
CHUNK = 500  # values per IN (...): far below every database's parameter limit


class DealError(ValueError):
    """A request about a deal that cannot be carried out; the message is for people, shown
    next to the form's field `field` when it names one."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field

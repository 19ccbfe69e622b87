"""The National Public Service Portal's status codes (mã trạng thái hồ sơ trên Cổng DVC quốc gia).

1 received online/new, 2 accepted, 3 not accepted, 4 in progress, 5 supplement requested,
6 payment requested, 7 withdrawn by citizen, 8 stopped, 9 processed, 10 returned.
"""

from __future__ import annotations

from enum import IntEnum

from domain.events import FileState
from domain.file import AdministrativeFile
from domain.procedures import Channel


class PortalStatus(IntEnum):
    RECEIVED_ONLINE = 1
    ACCEPTED = 2
    NOT_ACCEPTED = 3
    IN_PROGRESS = 4
    SUPPLEMENT_REQUESTED = 5
    PAYMENT_REQUESTED = 6
    WITHDRAWN = 7
    STOPPED = 8
    PROCESSED = 9
    RETURNED = 10


_BY_STATE = {
    FileState.IN_PROGRESS: PortalStatus.IN_PROGRESS,
    FileState.AWAITING_SIGNATURE: PortalStatus.IN_PROGRESS,
    FileState.AWAITING_SUPPLEMENT: PortalStatus.SUPPLEMENT_REQUESTED,
    FileState.SIGNED: PortalStatus.PROCESSED,
    FileState.RETURNED: PortalStatus.RETURNED,
    FileState.REFUSED: PortalStatus.NOT_ACCEPTED,
    FileState.WITHDRAWN: PortalStatus.WITHDRAWN,
    FileState.STOPPED: PortalStatus.STOPPED,
}


def portal_status(f: AdministrativeFile) -> PortalStatus:
    """The code the portal shows for this file now; an unpaid fee shows as 6 while open."""
    if f.is_open and f.fee_due_vnd:
        return PortalStatus.PAYMENT_REQUESTED
    if f.state is FileState.RECEIVED:
        online = f.channel == Channel.ONLINE.value
        return PortalStatus.RECEIVED_ONLINE if online else PortalStatus.ACCEPTED
    return _BY_STATE[f.state]

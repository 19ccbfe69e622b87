"""The National Public Service Portal's status codes (mã trạng thái hồ sơ trên Cổng DVC quốc gia).

1 received online/new, 2 accepted, 3 not accepted, 4 in progress, 5 supplement requested,
6 payment requested, 7 withdrawn by citizen, 8 stopped, 9 processed, 10 returned.

A file enters the ledger when the centre receives it (tiếp nhận: the portal's NgayTiepNhan, from
which its deadline runs), whatever its channel: it is then *accepted* (2), an online file too.
Code 1 belongs to an online submission that no officer has accepted yet, which the provincial
system holds before the ledger sees it. A refusal after acceptance (từ chối giải quyết) is a
processing end with the refusal as its outcome: *processed* (9), as the portal counts it among
the files processed; *not accepted* (3) is the refusal of the papers at the counter
(``FileNotAccepted``), a file born closed that was never received. The portal's channel codes
are 1 in person (mobile sessions included), 2 online, 3 public postal service.
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
    FileState.RECEIVED: PortalStatus.ACCEPTED,
    FileState.IN_PROGRESS: PortalStatus.IN_PROGRESS,
    FileState.AWAITING_SIGNATURE: PortalStatus.IN_PROGRESS,
    FileState.AWAITING_SUPPLEMENT: PortalStatus.SUPPLEMENT_REQUESTED,
    FileState.SIGNED: PortalStatus.PROCESSED,
    FileState.RETURNED: PortalStatus.RETURNED,
    FileState.REFUSED: PortalStatus.PROCESSED,
    FileState.WITHDRAWN: PortalStatus.WITHDRAWN,
    FileState.STOPPED: PortalStatus.STOPPED,
    FileState.NOT_ACCEPTED: PortalStatus.NOT_ACCEPTED,
}


_CHANNELS = {
    Channel.IN_PERSON.value: 1,
    Channel.MOBILE_SESSION.value: 1,
    Channel.ONLINE.value: 2,
    Channel.POSTAL.value: 3,
}


def portal_status(f: AdministrativeFile) -> PortalStatus:
    """The code the portal shows for this file now; an unpaid fee shows as 6 while open."""
    if f.is_open and f.fee_due_vnd:
        return PortalStatus.PAYMENT_REQUESTED
    return _BY_STATE[f.state]


def portal_channel(channel: str) -> int:
    """The portal's channel code (HinhThuc): 1 in person or missing, 2 online, 3 postal."""
    return _CHANNELS.get(channel, 1)

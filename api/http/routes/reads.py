"""Reads over HTTP for officers, leaders, unit administrators, integration clients and inspectors.

Who reads what (``api.http.auth``): inspectors read everything; everyone else reads the files of
their unit(s) and the files they hold, their units' queues and feed. No answer carries personal
data: the applicant appears nowhere (not even as the pseudonymous reference); staff appear by
actor id. A file is read from its verified events (``Ledger.load``: every signature and chain
link checked); queues, figures and the inspector's index come from the projections
(``projections.*``).

One module per resource; this one gathers their routes, in the order the API documents them:
files (``routes_files``), their forms (``routes_forms``), queues (``routes_queues``),
transparency (``routes_transparency``), the working calendar (``routes_calendar``), the
inspector's indexes (``routes_inspect``) and the
event feed (``routes_feed``).
"""

from __future__ import annotations

from fastapi import APIRouter

from api.http.routes import calendar as routes_calendar
from api.http.routes import feed as routes_feed
from api.http.routes import files as routes_files
from api.http.routes import forms as routes_forms
from api.http.routes import inspect as routes_inspect
from api.http.routes import queues as routes_queues
from api.http.routes import transparency as routes_transparency

router = APIRouter()
for _resource in (
    routes_files,
    routes_forms,
    routes_queues,
    routes_transparency,
    routes_calendar,
    routes_inspect,
    routes_feed,
):
    router.include_router(_resource.router)

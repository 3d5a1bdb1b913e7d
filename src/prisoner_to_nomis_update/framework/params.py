"""Path parameter types every domain's endpoints share, so a malformed id answers 400, not a 500.

A value outside these shapes could never name a DPS or NOMIS record; letting it through would send it
on to a downstream API (a number past a Java `long`, a prisoner number with a `/` in it) whose refusal
would come back as an unexpected error. FastAPI answers a mismatch with our 400 `ErrorResponse`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import Field

# The largest id a DPS or NOMIS API (Java `long`) accepts.
MAX_ID = 2**63 - 1

# NOMIS numbers are A1234BC-shaped; capitals and digits is what every caller (and test data such as
# AB12345) sends, and keeps `/`, spaces and lower case away from downstream paths.
PRISON_NUMBER = r"^[A-Z0-9]{1,10}$"

RecordId = Annotated[int, Path(ge=1, le=MAX_ID, description="A DPS or NOMIS record id (a positive number)")]
PrisonNumber = Annotated[
    str,
    Path(
        pattern=PRISON_NUMBER,
        description="A NOMIS prisoner number (capitals and digits), e.g. A1234BC",
        examples=["A1234BC"],
    ),
]
PrisonId = Annotated[
    str,
    Path(pattern=r"^[A-Z0-9]{1,10}$", description="A NOMIS prison (agency) id, e.g. MDI", examples=["MDI"]),
]
# DPS references and UUIDs: letters, digits and dashes (a VSIP visit reference, an adjustment id).
Reference = Annotated[
    str,
    Path(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$",
        description="A DPS reference or UUID: letters, digits and dashes",
    ),
]
# SQS queue names: up to 80 letters, digits, `-` and `_` (FIFO queues end in `.fifo`).
QueueName = Annotated[
    str,
    Path(pattern=r"^[A-Za-z0-9_-]{1,80}(\.fifo)?$", description="A queue or DLQ name, as shown on /health"),
]
# A request body listing prisoners: each a well-formed prisoner number.
PrisonNumbers = list[Annotated[str, Field(pattern=PRISON_NUMBER, examples=["A1234BC"])]]

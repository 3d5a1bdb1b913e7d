"""Base of every model of an external API's payload."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Lenient(BaseModel):
    """Unknown JSON properties are ignored everywhere (framework.md 3.1): APIs add fields freely."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

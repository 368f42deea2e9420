"""The base of every request body: unknown fields are an error (422), never silently dropped;
and the bounded whole numbers request bodies use (a 60-digit number or `false` is refused
with the field's name, never passed on to the database or read as 0)."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# strict: JSON true/false, "3" and 3.5 are not whole numbers here.
Position = Annotated[int, Field(strict=True, ge=-1_000_000, le=1_000_000)]
Weekday = Annotated[int, Field(strict=True, ge=0, le=6)]  # 0 = Monday

"""The base of every request body: unknown fields are an error (422), never silently dropped."""

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")

"""A channel account's config checked by the channel's own model, before the store keeps it.

The store cannot import channels, so the API and the CLI both check here, then call
`store.config.accounts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr, ValidationError

from channels import registry
from store.errors import Invalid

_JSON_TYPES = str | int | float | bool | list | dict | None


@dataclass(frozen=True)
class ValidAccount:
    address: str  # what the channel answers to (mailbox address, number, widget key, team)
    config: dict[str, Any]  # shown to admins
    secrets: dict[str, Any]  # never shown


def validate_account(channel: str, values: dict[str, Any]) -> ValidAccount:
    """Raise `Invalid` naming the first bad field; split what is valid into config and secrets."""
    spec = registry.get(channel)
    if spec is None or spec.config_model is None:
        raise Invalid(f"unknown channel {channel!r}; available: {', '.join(registry.names())}")
    try:
        model = spec.config_model.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise Invalid(f"config.{where}: {first['msg']}") from None
    public, secret = registry.split_secrets(spec, _plain(model.model_dump(mode="python")))
    return ValidAccount(address=spec.address_of(public), config=public, secrets=secret)


def _plain(dumped: dict[str, Any]) -> dict[str, Any]:
    # Stored as JSON: secrets unwrapped, anything else not JSON-native (paths, URLs) as text.
    out = {k: (v.get_secret_value() if isinstance(v, SecretStr) else v) for k, v in dumped.items()}
    return {k: (v if isinstance(v, _JSON_TYPES) else str(v)) for k, v in out.items()}

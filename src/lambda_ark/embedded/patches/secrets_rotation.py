"""Secrets Manager rotation: `RotateImmediately=false` does not rotate, and rotation rules round-trip.

AWS (RotateSecret API reference): RotateSecret stores the rotation function and rules and turns
rotation on (`RotationEnabled` true). With `RotateImmediately` false it does not rotate: it tests
the configuration by running the function's testSecret step ("the test creates an AWSPENDING
version of the secret and then removes it"), so the secret's versions and `LastRotatedDate` stay
as they were; rotation then starts on the schedule. `RotationRules` (`AutomaticallyAfterDays`,
`Duration`, `ScheduleExpression`) read back as given.
moto: with `RotateImmediately` false it still leaves an AWSPENDING version behind and sets
`LastRotatedDate`; it keeps only `AutomaticallyAfterDays` (0 for a schedule expression), and so
reports rotation off for a secret rotated on a schedule expression.
"""

from __future__ import annotations

import copy
from typing import Any

from moto.secretsmanager.models import FakeSecret, SecretsManagerBackend

_RULES = "_ark_rotation_rules"


def _rotate_secret(original: Any) -> Any:
    def rotate_secret(self: SecretsManagerBackend, secret_id: str, client_request_token: str | None = None,
                      rotation_lambda_arn: str | None = None, rotation_rules: dict[str, Any] | None = None,
                      rotate_immediately: bool = True) -> str:
        secret = self.secrets[secret_id] if self._is_valid_identifier(secret_id) else None
        before = (copy.deepcopy(secret.versions), secret.last_rotation_date) if isinstance(secret, FakeSecret) else None
        result: str = original(self, secret_id, client_request_token, rotation_lambda_arn, rotation_rules,
                               rotate_immediately)
        if not isinstance(secret, FakeSecret) or before is None:
            return result
        if rotation_rules:
            setattr(secret, _RULES, dict(rotation_rules))
        secret.rotation_enabled = True
        if not rotate_immediately:  # only testSecret ran: its AWSPENDING version is gone again
            secret.versions, secret.last_rotation_date = before
        return result

    return rotate_secret


def _to_dict(original: Any) -> Any:
    def to_dict(self: FakeSecret) -> dict[str, Any]:
        out: dict[str, Any] = original(self)
        if "RotationRules" in out and _RULES in self.__dict__:
            out["RotationRules"] = dict(self.__dict__[_RULES])
        return out

    return to_dict


def apply() -> None:
    SecretsManagerBackend.rotate_secret = _rotate_secret(SecretsManagerBackend.rotate_secret)  # type: ignore[method-assign]
    FakeSecret.to_dict = _to_dict(FakeSecret.to_dict)  # type: ignore[method-assign]

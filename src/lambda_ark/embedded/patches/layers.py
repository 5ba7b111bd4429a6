"""GetLayerVersionByArn.

AWS: GetLayerVersionByArn returns the same document as GetLayerVersion, addressed by the layer
version ARN that function configurations list in `Layers` (what backup has in hand).
moto: not implemented (an internal error).
"""

from __future__ import annotations

import json

from moto.awslambda.exceptions import UnknownLayerVersionException
from moto.awslambda.responses import LambdaResponse


def get_layer_version_by_arn(self: LambdaResponse) -> str:
    arn = str(self.querystring.get("Arn", [""])[0])
    layer_version = self.backend.layers_versions_by_arn(arn)
    if layer_version is None:
        raise UnknownLayerVersionException([arn])
    return json.dumps(layer_version.get_layer_version())


def apply() -> None:
    LambdaResponse.get_layer_version_by_arn = get_layer_version_by_arn  # type: ignore[attr-defined]

"""The envelope EventBridge wraps an event in when it delivers it to a target.

AWS: a target without an input transformer receives `{"version", "id", "detail-type", "source",
"account", "time", "region", "resources", "detail"}`.
moto: its default template leaves out `account`, so a consumer that checks whose event it is cannot.
"""

from __future__ import annotations

from moto.events.utils import EventTemplateParser


def apply() -> None:
    EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE = (
        '{"version": "0", "id": "<id>", "detail-type": "<detail-type>", "source": "<source>", '
        '"account": "<account>", "time": <time>, "region": "<region>", "resources": <resources>, '
        '"detail": <detail>}'
    )

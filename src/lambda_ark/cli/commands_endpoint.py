"""Command: endpoint (run the embedded AWS endpoint in the foreground)."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Annotated

import typer

from ..aws import load_embedded
from ..errors import UsageError
from . import app


@app.command()
def endpoint(
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port to listen on (0: any free port).")] = 0,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    latency_ms: Annotated[
        int, typer.Option("--latency-ms", min=0, help="Delay every request, like a real AWS API round trip.")
    ] = 0,
    aws_quotas: Annotated[
        bool,
        typer.Option(
            "--aws-quotas",
            help="Enforce AWS's Lambda API rates per account and region (GetFunction 100/s, GetPolicy 15/s, "
            "the rest 15/s together; CloudTrail LookupEvents 2/s), answering AWS's throttling errors.",
        ),
    ] = False,
) -> None:
    """Run the embedded AWS endpoint (Lambda, S3, IAM, CloudFront, ... in memory) until Ctrl-C.

    The first line of output is the endpoint's URL. Any AWS client can use it with any credentials;
    its state lives in this process only and is gone when it stops. It records a CloudTrail event for
    every change (LookupEvents answers them, EventBridge rules receive them).

    Examples (a fixed port, then any free port with the URL read from the first line):

    \b
        lambda-ark endpoint --port 4566 &
        AWS_ENDPOINT_URL=http://127.0.0.1:4566 lambda-ark backup -r ./repo

    \b
        lambda-ark endpoint > endpoint.url & sleep 1
        AWS_ENDPOINT_URL=$(head -n1 endpoint.url) lambda-ark backup -r ./repo
    """
    embedded = load_embedded()
    try:
        running = embedded.start(port=port, host=host, latency=latency_ms / 1000, aws_quotas=aws_quotas)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    typer.echo(running.url)  # first line, flushed: scripts read the URL from here

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_signal)
    try:
        # wait() with a timeout keeps the main thread responsive to Ctrl-C on every platform.
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        running.stop()
    typer.echo("lambda-ark: endpoint stopped", err=True)

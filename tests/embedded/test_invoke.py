"""Invoke runs zip-packaged Python handlers as AWS does (see embedded/patches/invoke.py).

Error documents follow AWS's Python runtime (awslambdaric's bootstrap: errorMessage, errorType,
requestId, stackTrace; Runtime.* fault types) and the platform's Sandbox.Timedout and
Runtime.OutOfMemory answers; every failure is HTTP 200 with FunctionError "Unhandled".
"""

from __future__ import annotations

import base64
import io
import json
import sys
import time
import zipfile
from collections.abc import Callable
from typing import Any

import botocore.exceptions
import pytest

PY = f"python{sys.version_info.major}.{sys.version_info.minor}"

HANDLERS = """
import json, os, sys, time

def echo(event, context):
    print("got", event)
    return {"event": event, "name": context.function_name, "version": context.function_version,
            "arn": context.invoked_function_arn, "memory": context.memory_limit_in_mb,
            "left": context.get_remaining_time_in_millis(),
            "cwd_is_task": os.getcwd() == os.environ["LAMBDA_TASK_ROOT"],
            "region": os.environ["AWS_REGION"], "ark_vars": sorted(k for k in os.environ if k.startswith("_ARK"))}

def env(event, context):
    return os.environ["TABLE"]

def layered(event, context):
    import shared
    return shared.VALUE

def fail(event, context):
    raise KeyError("missing thing")

def sleepy(event, context):
    time.sleep(10)

def hog(event, context):
    block = bytearray(400 * 1024 * 1024)
    return len(block)

def leave(event, context):
    sys.exit(3)

def unmarshallable(event, context):
    return {1, 2}

def mark(event, context):
    import boto3
    boto3.client("s3").put_object(Bucket=event["bucket"], Key="ran", Body=b"yes")

def mark_env(event, context):
    import boto3
    boto3.client("s3").put_object(Bucket=os.environ["BUCKET"], Key="ran", Body=json.dumps(event).encode())

def whoami(event, context):
    import boto3
    return boto3.client("sts").get_caller_identity()["Account"]
"""

# imports from a layer at module level, as most functions do: without the layer, the runtime
# cannot even load the handler
NEEDS_LAYER = """
import shared

def handler(event, context):
    return shared.VALUE
"""


def package(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in files.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), text)
    return buf.getvalue()


@pytest.fixture
def make(client: Callable[..., Any], role: str, unique: Callable[[str], str]) -> Callable[..., str]:
    lam = client("lambda")

    def create(handler: str, runtime: str = PY, **kwargs: Any) -> str:
        name = unique("inv")
        lam.create_function(FunctionName=name, Runtime=runtime, Role=role,
                            Handler=handler if "." in handler else f"app.{handler}",
                            Code={"ZipFile": package({"app.py": HANDLERS, "needs_layer.py": NEEDS_LAYER})}, **kwargs)
        return name

    return create


def invoke(client: Callable[..., Any], name: str, payload: bytes = b"{}", **kwargs: Any) -> tuple[Any, Any]:
    resp = client("lambda").invoke(FunctionName=name, Payload=payload, **kwargs)
    body = resp["Payload"].read()
    return resp, json.loads(body) if body else None


# -- failures: the function's own, as AWS reports them ---------------------------------------------


def test_an_exception_is_unhandled_with_the_runtimes_error_document(client: Callable[..., Any],
                                                                    make: Callable[..., str]) -> None:
    resp, doc = invoke(client, make("fail"))
    assert resp["StatusCode"] == 200 and resp["FunctionError"] == "Unhandled"
    assert doc["errorType"] == "KeyError" and doc["errorMessage"] == "'missing thing'"
    assert doc["requestId"] and any('"/var/task/app.py"' in line and "in fail" in line for line in doc["stackTrace"])


def test_a_missing_module_or_handler_is_the_runtimes_init_error(client: Callable[..., Any],
                                                                make: Callable[..., str]) -> None:
    _, missing_module = invoke(client, make("needs_layer.handler"))  # no layer provides `shared`
    assert missing_module == {"errorMessage": "Unable to import module 'needs_layer': No module named 'shared'",
                              "errorType": "Runtime.ImportModuleError", "requestId": "", "stackTrace": []}
    _, inside = invoke(client, make("layered"))  # the same import inside the handler: the handler fails
    assert inside["errorType"] == "ModuleNotFoundError" and inside["requestId"]
    _, missing_handler = invoke(client, make("nope"))
    assert missing_handler == {"errorMessage": "Handler 'nope' missing on module 'app'",
                               "errorType": "Runtime.HandlerNotFound", "requestId": "", "stackTrace": []}


def test_the_environment_is_the_functions_own(client: Callable[..., Any], make: Callable[..., str]) -> None:
    name = make("env", Environment={"Variables": {"TABLE": "orders"}})
    resp, doc = invoke(client, name)
    assert "FunctionError" not in resp and doc == "orders"
    client("lambda").update_function_configuration(FunctionName=name, Environment={"Variables": {}})
    client("lambda").get_waiter("function_updated_v2").wait(FunctionName=name)
    resp, doc = invoke(client, name)
    assert resp["FunctionError"] == "Unhandled" and doc["errorType"] == "KeyError"


def test_past_the_timeout_the_sandbox_times_out(client: Callable[..., Any], make: Callable[..., str]) -> None:
    resp, doc = invoke(client, make("sleepy", Timeout=1))
    assert resp["FunctionError"] == "Unhandled" and doc["errorType"] == "Sandbox.Timedout"
    assert doc["errorMessage"].endswith("Error: Task timed out after 1.00 seconds")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the memory limit is watched through /proc")
def test_past_the_memory_size_the_runtime_is_killed(client: Callable[..., Any], make: Callable[..., str]) -> None:
    resp, doc = invoke(client, make("hog", MemorySize=128))
    assert resp["FunctionError"] == "Unhandled" and doc["errorType"] == "Runtime.OutOfMemory"
    assert doc["errorMessage"].endswith("Runtime exited with error: signal: killed")


def test_exiting_or_returning_what_json_cannot_hold(client: Callable[..., Any], make: Callable[..., str]) -> None:
    _, exited = invoke(client, make("leave"))
    assert exited["errorType"] == "Runtime.ExitError" and exited["errorMessage"].endswith("exit status 3")
    _, unmarshalled = invoke(client, make("unmarshallable"))
    assert unmarshalled["errorType"] == "Runtime.MarshalError"
    assert unmarshalled["errorMessage"].startswith("Unable to marshal response:")


# -- what the caller gets wrong, and what is not run here -----------------------------------------


def test_unknown_function_or_qualifier_is_not_found(client: Callable[..., Any], make: Callable[..., str]) -> None:
    lam = client("lambda")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.invoke(FunctionName="no-such-function-anywhere")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.invoke(FunctionName=make("echo"), Qualifier="7")


def test_a_payload_that_is_not_json_is_refused(client: Callable[..., Any], make: Callable[..., str]) -> None:
    lam = client("lambda")
    with pytest.raises(botocore.exceptions.ClientError) as err:
        lam.invoke(FunctionName=make("echo"), Payload=b"{not json")
    assert err.value.response["Error"]["Code"] == "InvalidRequestContentException"


def test_reserved_concurrency_zero_throttles(client: Callable[..., Any], make: Callable[..., str]) -> None:
    lam = client("lambda")
    name = make("echo")
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    with pytest.raises(botocore.exceptions.ClientError) as err:
        lam.invoke(FunctionName=name)
    assert err.value.response["Error"]["Code"] == "TooManyRequestsException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429


@pytest.mark.parametrize("runtime", ["nodejs20.x", "python2.7", "provided.al2023"])
def test_runtimes_not_served_here_answer_not_implemented(client: Callable[..., Any], make: Callable[..., str],
                                                         runtime: str) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as err:
        client("lambda").invoke(FunctionName=make("echo", runtime=runtime))
    assert err.value.response["Error"]["Code"] == "NotImplemented"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert runtime in err.value.response["Error"]["Message"]


# -- the happy paths ---------------------------------------------------------------------------


def test_the_handler_gets_the_event_and_a_context(client: Callable[..., Any], make: Callable[..., str]) -> None:
    name = make("echo", MemorySize=256)
    resp, doc = invoke(client, name, b'{"order": 7}', LogType="Tail")
    assert "FunctionError" not in resp and resp["ExecutedVersion"] == "$LATEST"
    assert doc["event"] == {"order": 7} and doc["name"] == name and doc["version"] == "$LATEST"
    assert doc["arn"].endswith(f":function:{name}") and doc["memory"] == "256" and doc["left"] > 0
    assert doc["cwd_is_task"] and doc["region"] == "us-east-1" and doc["ark_vars"] == []
    log = base64.b64decode(resp["LogResult"]).decode()
    assert log.startswith("START RequestId: ") and "got {'order': 7}" in log and "REPORT RequestId:" in log


def test_an_empty_payload_is_an_empty_object(client: Callable[..., Any], make: Callable[..., str]) -> None:
    resp = client("lambda").invoke(FunctionName=make("echo"))
    assert json.loads(resp["Payload"].read())["event"] == {}


def test_layers_are_on_the_path_in_order(client: Callable[..., Any], make: Callable[..., str],
                                         unique: Callable[[str], str]) -> None:
    lam = client("lambda")
    first = lam.publish_layer_version(LayerName=unique("l1"), Content={"ZipFile": package(
        {"python/shared.py": "VALUE = 'first'\n", "python/only_first.py": ""})})["LayerVersionArn"]
    second = lam.publish_layer_version(LayerName=unique("l2"), Content={"ZipFile": package(
        {"python/shared.py": "VALUE = 'second'\n"})})["LayerVersionArn"]
    _, value = invoke(client, make("layered", Layers=[first, second]))
    assert value == "second"  # a later layer's file wins, as in /opt


def test_a_qualified_invoke_runs_that_versions_code(client: Callable[..., Any], make: Callable[..., str]) -> None:
    lam = client("lambda")
    name = make("env", Environment={"Variables": {"TABLE": "v1-table"}})
    lam.publish_version(FunctionName=name)
    lam.update_function_configuration(FunctionName=name, Environment={"Variables": {"TABLE": "latest-table"}})
    lam.get_waiter("function_updated_v2").wait(FunctionName=name)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    resp, doc = invoke(client, name, Qualifier="live")
    assert resp["ExecutedVersion"] == "1" and doc == "v1-table"
    _, latest = invoke(client, name)
    assert latest == "latest-table"


def test_the_function_calls_aws_as_its_roles_account(client: Callable[..., Any], make: Callable[..., str]) -> None:
    _, account = invoke(client, make("whoami"))
    assert account == "123456789012"


def test_event_invocations_run_after_the_answer_and_dry_runs_not_at_all(
    client: Callable[..., Any], make: Callable[..., str], unique: Callable[[str], str]
) -> None:
    lam, s3 = client("lambda"), client("s3")
    bucket = unique("marks")
    s3.create_bucket(Bucket=bucket)
    name = make("mark")
    dry = lam.invoke(FunctionName=name, InvocationType="DryRun", Payload=json.dumps({"bucket": bucket}))
    assert dry["StatusCode"] == 204
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0
    resp = lam.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps({"bucket": bucket}))
    assert resp["StatusCode"] == 202 and resp["Payload"].read() == b""
    for _ in range(300):  # the function runs after the answer: wait for what it writes
        if s3.list_objects_v2(Bucket=bucket).get("KeyCount"):
            break
        time.sleep(0.05)
    assert s3.get_object(Bucket=bucket, Key="ran")["Body"].read() == b"yes"


def test_another_services_invocation_runs_in_the_background_and_never_fails_its_call(
    client: Callable[..., Any], make: Callable[..., str], unique: Callable[[str], str]
) -> None:
    """SNS delivers to a subscribed function on its own: the Publish succeeds whether or not this
    endpoint can run the function, and a function it can run runs, after the answer."""
    s3, sns, lam = client("s3"), client("sns"), client("lambda")
    bucket = unique("marks")
    s3.create_bucket(Bucket=bucket)
    runs = make("mark_env", Environment={"Variables": {"BUCKET": bucket}})
    cannot = make("echo", runtime="nodejs20.x")
    topic = sns.create_topic(Name=unique("topic"))["TopicArn"]
    for name in (runs, cannot):
        arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
        sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=arn)
    sns.publish(TopicArn=topic, Message="hello")  # no error, though one function cannot run here
    for _ in range(300):
        if s3.list_objects_v2(Bucket=bucket).get("KeyCount"):
            break
        time.sleep(0.05)
    event = json.loads(s3.get_object(Bucket=bucket, Key="ran")["Body"].read())
    assert event["Records"][0]["Sns"]["Message"] == "hello"

"""Running one invocation of a zip-packaged Python function in a subprocess (the embedded Invoke).

AWS runs a function in a fresh sandbox: the package unpacked in /var/task (the working directory),
each layer unpacked into /opt in order (later layers win), `/opt/python` and
`/opt/python/lib/pythonX.Y/site-packages` on `sys.path`, the function's environment plus the
variables Lambda reserves, the execution role's credentials, and the configured timeout and memory.
Here the same happens with temporary folders and a child process (`lambda_bootstrap.py`) started
with an interpreter of the runtime's own version, so what imports, reads the environment or fails on
AWS does so here too.

Differences, on purpose or not: every invocation is a cold start (nothing is kept between them); the
memory limit is the child's peak resident size, watched on Linux only; the runtime's bundled boto3
is this machine's, and only for this interpreter's version; other runtimes (Node.js, Java, custom
`provided.*`, a Python version with no interpreter here) raise `RuntimeUnavailable`.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import importlib.util
import io
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

BOOTSTRAP = Path(__file__).with_name("lambda_bootstrap.py")
LOG_TAIL_BYTES = 4096  # what Invoke's LogType=Tail returns: the last 4 KB of the log
# What AWS's Python runtimes bundle (boto3 and its dependencies), offered from this interpreter's.
_BUNDLED = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")
_WATCH_SECONDS = 0.01


class RuntimeUnavailable(NotImplementedError):
    """This machine cannot run the function (another language, or no interpreter of that version).

    A NotImplementedError: the endpoint answers it as HTTP 501 `NotImplemented`."""


@dataclass
class Invocation:
    """Everything a run needs, copied out of moto's objects before the request thread lets go."""

    function_name: str
    version: str  # "$LATEST" or a number
    invoked_arn: str  # the ARN as called (qualified when a qualifier was given)
    region: str
    runtime: str
    handler: str
    code: bytes
    layers: list[bytes]  # layer packages in the function's order
    environment: dict[str, str]
    timeout: int  # seconds
    memory: int  # MB
    payload: bytes
    credentials: dict[str, str] = field(default_factory=dict)
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass
class Outcome:
    payload: bytes
    function_error: str | None  # "Unhandled" when the function failed, as the header says
    log: str

    def log_tail(self) -> str:
        """The last 4 KB of the log (LogType=Tail), as bytes AWS would send, decoded."""
        return self.log.encode()[-LOG_TAIL_BYTES:].decode(errors="ignore")


def run(inv: Invocation, endpoint_url: str) -> Outcome:
    """Run the handler once; a failing function is an Outcome with `function_error`, not an exception."""
    exe = interpreter(inv.runtime)
    if exe is None:
        raise RuntimeUnavailable(
            f"runtime {inv.runtime} is not run here: the embedded endpoint runs zip-packaged Python handlers, "
            f"with an interpreter of the runtime's version ({_servable()})"
        )
    task = _unpacked([inv.code])
    opt = _unpacked(inv.layers) if inv.layers else None
    with tempfile.TemporaryDirectory(prefix="lambda-ark-invoke-") as tmp:
        event_file, result_file = Path(tmp, "event.json"), Path(tmp, "result.json")
        event_file.write_bytes(inv.payload or b"{}")
        env = _environment(inv, exe, task, opt, tmp, endpoint_url)
        env.update(_ARK_EVENT_FILE=str(event_file), _ARK_RESULT_FILE=str(result_file))
        started = time.monotonic()
        env["_ARK_DEADLINE_MS"] = str(int(time.time() * 1000) + inv.timeout * 1000)
        proc = subprocess.Popen(
            [exe, "-S", "-E", "-s", "-B", str(BOOTSTRAP)],
            cwd=task, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True,  # the handler's own children go when it is killed
        )
        watch = _MemoryWatch(proc, inv.memory)
        try:
            output, _ = proc.communicate(timeout=inv.timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            _kill(proc)
            output, _ = proc.communicate()
            timed_out = True
        finally:
            watch.stop()
        elapsed = time.monotonic() - started
        payload, error = _result(inv, proc.returncode, result_file, timed_out, watch.exceeded)
    return Outcome(payload, error, _log(inv, output.decode(errors="replace"), elapsed, watch.peak_mb, timed_out))


def _result(inv: Invocation, code: int, result_file: Path, timed_out: bool, oom: bool) -> tuple[bytes, str | None]:
    def failure(error_type: str, message: str) -> tuple[bytes, str]:
        doc = {"errorType": error_type, "errorMessage": f"RequestId: {inv.request_id} Error: {message}"}
        return json.dumps(doc).encode(), "Unhandled"

    if timed_out:
        return failure("Sandbox.Timedout", f"Task timed out after {inv.timeout:.2f} seconds")
    if oom:
        return failure("Runtime.OutOfMemory", "Runtime exited with error: signal: killed")
    try:
        outcome = json.loads(result_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        how = f"signal: {signal.Signals(-code).name.removeprefix('SIG').lower()}" if code < 0 else f"exit status {code}"
        return failure("Runtime.ExitError", f"Runtime exited with error: {how}")
    if "error" in outcome:
        return json.dumps(outcome["error"]).encode(), "Unhandled"
    return str(outcome["result"]).encode(), None


def _log(inv: Invocation, output: str, elapsed: float, peak_mb: int, timed_out: bool) -> str:
    ms = elapsed * 1000
    lines = [f"START RequestId: {inv.request_id} Version: {inv.version}\n", output]
    if output and not output.endswith("\n"):
        lines.append("\n")
    if timed_out:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
        lines.append(f"{stamp}Z {inv.request_id} Task timed out after {inv.timeout:.2f} seconds\n")
    lines.append(f"END RequestId: {inv.request_id}\n")
    lines.append(
        f"REPORT RequestId: {inv.request_id}\tDuration: {ms:.2f} ms\tBilled Duration: {math.ceil(ms)} ms\t"
        f"Memory Size: {inv.memory} MB\tMax Memory Used: {peak_mb} MB\t\n"
    )
    return "".join(lines)


def _environment(inv: Invocation, exe: str, task: str, opt: str | None, tmp: str, endpoint_url: str) -> dict[str, str]:
    version = _version_of(inv.runtime)
    paths = [task]
    if opt is not None:
        paths += [str(Path(opt, "python", "lib", f"python{version}", "site-packages")), str(Path(opt, "python"))]
    env = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        **inv.environment,
        # Lambda's reserved variables: a function cannot set these itself
        "_HANDLER": inv.handler,
        "AWS_REGION": inv.region,
        "AWS_DEFAULT_REGION": inv.region,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{inv.runtime}",
        "AWS_LAMBDA_FUNCTION_NAME": inv.function_name,
        "AWS_LAMBDA_FUNCTION_VERSION": inv.version,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(inv.memory),
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{inv.function_name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": time.strftime("%Y/%m/%d/") + f"[{inv.version}]{uuid.uuid4().hex}",
        "LAMBDA_TASK_ROOT": task,
        "LAMBDA_RUNTIME_DIR": _bundled_dir() if exe == sys.executable else "",
        "TMPDIR": tmp,
        # the function's SDK calls go to the endpoint that invoked it, as the role's own credentials
        "AWS_ENDPOINT_URL": endpoint_url,
        **inv.credentials,
        "_ARK_REQUEST_ID": inv.request_id,
        "_ARK_FUNCTION_ARN": inv.invoked_arn,
        "_ARK_PATH": os.pathsep.join(paths),
        "_ARK_OPT": opt or "",
        "_ARK_RUNTIME_PATH": _bundled_dir() if exe == sys.executable else "",
    }
    return env


def _version_of(runtime: str) -> str:
    m = re.fullmatch(r"python(\d+\.\d+)", runtime or "")
    return m.group(1) if m else ""


@functools.cache
def interpreter(runtime: str) -> str | None:
    """A Python interpreter of exactly the runtime's version on this machine, or None."""
    version = _version_of(runtime)
    if not version:
        return None
    if f"{sys.version_info.major}.{sys.version_info.minor}" == version:
        return sys.executable
    found = shutil.which(f"python{version}")
    if found is None:
        return None
    try:  # a version manager's shim may exist for an interpreter that is not installed
        done = subprocess.run([found, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                              capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return found if done.returncode == 0 and done.stdout.strip() == version else None


def _servable() -> str:
    mine = f"python{sys.version_info.major}.{sys.version_info.minor}"
    return f"this machine: {mine}"


# -- unpacked packages, shared by invocations (content-addressed, never changed once written) ----
_root_lock = threading.Lock()
_root: list[str] = []


def _cache_root() -> str:
    with _root_lock:
        if not _root:
            _root.append(tempfile.mkdtemp(prefix="lambda-ark-runtime-"))
            atexit.register(shutil.rmtree, _root[0], True)
        return _root[0]


def _unpacked(packages: list[bytes]) -> str:
    """A folder holding the packages unpacked in order (later ones overwrite), made once per content."""
    digest = hashlib.sha256(b"".join(hashlib.sha256(p).digest() for p in packages)).hexdigest()
    target = Path(_cache_root(), digest)
    if target.is_dir():
        return str(target)
    scratch = Path(tempfile.mkdtemp(dir=_cache_root(), prefix=".unpacking-"))
    for package in packages:
        with zipfile.ZipFile(io.BytesIO(package)) as zf:
            zf.extractall(scratch)  # zipfile drops absolute paths and ".." components
    try:
        scratch.rename(target)
    except OSError:  # another invocation unpacked the same content meanwhile
        shutil.rmtree(scratch, ignore_errors=True)
    return str(target)


@functools.cache
def _bundled_dir() -> str:
    """A folder with links to this interpreter's boto3 and its dependencies, and nothing else of
    lambda-ark's environment (AWS's Python runtimes bundle boto3; they do not bundle moto)."""
    folder = Path(_cache_root(), "bundled")
    folder.mkdir(exist_ok=True)
    for name in _BUNDLED:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            continue
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        link = folder / source.name
        with contextlib.suppress(FileExistsError):
            link.symlink_to(source, target_is_directory=source.is_dir())
    return str(folder)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


class _MemoryWatch:
    """Kill the child when its peak resident memory passes the function's memory size (Linux)."""

    def __init__(self, proc: subprocess.Popen[bytes], limit_mb: int) -> None:
        self.proc, self.limit_kb = proc, limit_mb * 1024
        self.peak_kb = 0
        self.exceeded = False
        self._stop = threading.Event()
        self._status = Path(f"/proc/{proc.pid}/status")
        if self._status.exists():
            threading.Thread(target=self._run, name="lambda-ark-invoke-memory", daemon=True).start()

    @property
    def peak_mb(self) -> int:
        return math.ceil(self.peak_kb / 1024)

    def _run(self) -> None:
        while not self._stop.wait(_WATCH_SECONDS):
            try:
                text = self._status.read_text()
            except OSError:
                return  # the child is gone
            m = re.search(r"^VmHWM:\s+(\d+) kB", text, re.M)
            if m:
                self.peak_kb = max(self.peak_kb, int(m.group(1)))
            if self.peak_kb > self.limit_kb:
                self.exceeded = True
                _kill(self.proc)
                return

    def stop(self) -> None:
        self._stop.set()

"""The embedded endpoint is the optional extra lambda-ark[embedded]: without moto installed, lambda-ark
and its Lambda handlers import and work, and asking for the embedded endpoint says how to install it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# Run Python as on a machine without the extra: importing moto (or its server's packages) fails.
_WITHOUT_MOTO = """
import sys
class _NoMoto:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("moto", "werkzeug", "flask", "responses"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, _NoMoto())
"""


def _run(code: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", _WITHOUT_MOTO + code, *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd, check=False, env={**os.environ, "LAMBDA_ARK_PASSWORD": "extra"})


def test_asking_for_the_embedded_endpoint_without_the_extra_says_how_to_install_it(tmp_path: Path) -> None:
    done = _run("from lambda_ark.cli import main; sys.argv = ['lambda-ark'] + sys.argv[1:]; main()",
                "backup", "--repo", str(tmp_path / "repo"), "--endpoint-url", "embedded", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert "pip install 'lambda-ark[embedded]'" in line
    demo = _run("from lambda_ark.cli import main; sys.argv = ['lambda-ark', 'demo']; main()", cwd=tmp_path)
    assert demo.returncode == 2 and "lambda-ark[embedded]" in demo.stderr


def test_lambda_ark_and_its_handlers_work_without_the_extra(tmp_path: Path) -> None:
    code = ("import lambda_ark.aws_lambda, lambda_ark.aws_lambda_watch, lambda_ark.cli, lambda_ark.deploy.asl\n"
            "assert not any(m.split('.')[0] == 'moto' for m in sys.modules)\n"
            "from lambda_ark.cli import main; sys.argv = ['lambda-ark'] + sys.argv[1:]; main()")
    done = _run(code, "init", "--repo", str(tmp_path / "repo"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "repo" / "config").exists()

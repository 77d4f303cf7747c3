"""The example service: routes in-process, and the real process's SIGTERM drain."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

SERVER = Path(__file__).parent / "server.py"


def _load_server() -> ModuleType:
    # app/ is not a package (it is the Docker build context): load the module by path under a unique name.
    spec = importlib.util.spec_from_file_location("ecsdelivery_example_server", SERVER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app_server = _load_server()


@pytest.fixture
def base_url() -> Iterator[str]:
    srv = app_server.make_server("127.0.0.1", 0)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    host, port = srv.server_address[:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join()


def _get(url: str) -> tuple[int, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_healthz(base_url: str) -> None:
    assert _get(f"{base_url}/healthz") == (200, {"status": "ok"})


def test_root_reports_environment(base_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "dev")
    status, body = _get(f"{base_url}/")
    assert status == 200
    assert body["environment"] == "dev"


def test_unknown_path_is_404(base_url: str) -> None:
    assert _get(f"{base_url}/nope")[0] == 404


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM semantics are POSIX")
def test_process_reads_port_logs_to_stdout_and_exits_0_on_sigterm() -> None:
    env = {**os.environ, "PORT": "0", "HOST": "127.0.0.1", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, str(SERVER)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert "listening on 127.0.0.1:" in first
        port = int(first.rsplit(":", 1)[1])
        assert _get(f"http://127.0.0.1:{port}/healthz")[0] == 200
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "GET /healthz" in out
    assert "received SIGTERM, draining" in out
    assert out.rstrip().endswith("stopped")

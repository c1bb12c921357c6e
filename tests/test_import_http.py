"""`vmplan import prometheus --url` over real HTTP on loopback: an authenticating front that
serves the saved fixture responses, a closed port, and TLS with a certificate nobody signed."""

from __future__ import annotations

import http.server
import shutil
import socket
import ssl
import subprocess
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from typer.testing import CliRunner

from vmplan.cli import app
from vmplan.importers.prometheus import KINDS, Queries

DATA = Path(__file__).resolve().parent / "data" / "import" / "prometheus"
TOKEN = "Bearer s3cret"
RANGE = ["--start", "2026-11-20T00:00:00Z", "--end", "2026-11-20T23:55:00Z"]


class Front(http.server.BaseHTTPRequestHandler):
    """Answers /api/v1/query_range with the saved response of the query, behind a bearer token."""

    queries: ClassVar[dict[str, str]] = {Queries().of(k): k for k in KINDS}
    seen: ClassVar[list[dict[str, str]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        form = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode()).items()}
        Front.seen.append(form)
        if self.headers.get("Authorization") != TOKEN:
            self._send(401, b'{"status":"error","errorType":"unauthorized","error":"no token"}')
            return
        kind = self.queries.get(form.get("query", ""))
        if self.path != "/api/v1/query_range" or kind is None:
            self._send(400, b'{"status":"error","errorType":"bad_data","error":"unknown"}')
            return
        self._send(200, (DATA / f"{kind}.json").read_bytes())

    def _send(self, code: int, data: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


def _serve(context: ssl.SSLContext | None = None) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Front)
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    scheme = "https" if context else "http"
    try:
        yield f"{scheme}://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def front() -> Iterator[str]:
    Front.seen = []
    yield from _serve()


def test_the_header_is_sent_and_the_answers_make_the_fleet(
    front: str, tmp_path: Path, runner: CliRunner
) -> None:
    out = tmp_path / "f.yaml"
    args = ["import", "prometheus", "--url", front, "--header", f"Authorization: {TOKEN}", *RANGE]
    result = runner.invoke(app, [*args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert ": 2 hosts, 3 VMs" in result.output
    assert sorted(f["query"] for f in Front.seen) == sorted(Queries().of(k) for k in KINDS)
    assert {(f["start"], f["end"], f["step"]) for f in Front.seen} == {
        ("1795132800", "1795218900", "300")
    }


def test_a_refused_token_is_named_with_the_query(
    front: str, tmp_path: Path, runner: CliRunner
) -> None:
    out = tmp_path / "f.yaml"
    result = runner.invoke(app, ["import", "prometheus", "--url", front, *RANGE, "-o", str(out)])
    assert result.exit_code == 2
    assert result.output.splitlines()[0] == (
        f"{front}: error: cpu query rate(libvirt_domain_info_cpu_time_seconds_total[5m]): the "
        "server answered 401 Unauthorized: unauthorized: no token  [prometheus]"
    )
    assert not out.exists()


def test_a_closed_port_is_named(tmp_path: Path, runner: CliRunner) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nobody listens
    url = f"http://127.0.0.1:{port}"
    result = runner.invoke(
        app, ["import", "prometheus", "--url", url, *RANGE, "-o", str(tmp_path / "f.yaml")]
    )
    assert result.exit_code == 2
    assert result.output.splitlines()[0] == (
        f"{url}: error: cpu query rate(libvirt_domain_info_cpu_time_seconds_total[5m]): cannot "
        "reach the server: [Errno 111] Connection refused  [prometheus]"
    )


def test_a_header_without_a_colon_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    args = ["import", "prometheus", "--url", "http://127.0.0.1:9", "--header", "Bearer x"]
    result = runner.invoke(app, [*args, "-o", str(tmp_path / "f.yaml")])
    assert result.exit_code == 2
    assert (
        "expected 'Name: value', e.g. 'Authorization: Bearer TOKEN', got 'Bearer x'"
        in result.output
    )


@pytest.fixture
def tls_front(tmp_path: Path) -> Iterator[str]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a self-signed certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    Front.seen = []
    yield from _serve(context)


def test_tls_certificates_are_verified(tls_front: str, tmp_path: Path, runner: CliRunner) -> None:
    args = ["import", "prometheus", "--url", tls_front, "--header", f"Authorization: {TOKEN}"]
    result = runner.invoke(app, [*args, *RANGE, "-o", str(tmp_path / "f.yaml")])
    assert result.exit_code == 2
    assert "cannot reach the server: [SSL: CERTIFICATE_VERIFY_FAILED]" in result.output
    assert Front.seen == []  # nothing, not even the token, was sent

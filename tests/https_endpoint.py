"""The embedded endpoint's (process-global) state on an HTTPS listener, so aws:SecureTransport is true.

Its certificate is self-signed for 127.0.0.1; clients trust it through the returned CA bundle path
(`verify=…` for boto3, `AWS_CA_BUNDLE` for the CLI).
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server

from lambda_ark.embedded import context
from lambda_ark.embedded.server import ArkMiddleware, QuietRequestHandler


def _certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "endpoint.crt", folder / "endpoint.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def start_https() -> tuple[str, str, Callable[[], None]]:
    """(url, CA bundle path, stop)."""
    folder = Path(tempfile.mkdtemp(prefix="ark-tls-"))
    cert, key = _certificate(folder)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    app = ArkMiddleware(DomainDispatcherApplication(create_backend_app), context.Settings(base_url=""))
    httpd = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietRequestHandler, ssl_context=tls)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()

    def stop() -> None:
        httpd.shutdown()
        httpd.server_close()

    return f"https://127.0.0.1:{httpd.server_address[1]}", str(cert), stop

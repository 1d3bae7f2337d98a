"""The real gateway is HTTPS: the proxy verifies it like httpx does and relays over TLS unchanged."""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess

import pytest

from .conftest import exchange

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")

STREAM = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Quota-Remaining-Credits: 1.00\r\n\r\n"
          b"9\r\ndata: 1\n\n\r\n9\r\ndata: 2\n\n\r\n0\r\n\r\n")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


@pytest.fixture
def https_upstream(scripted, certificate):
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return scripted(lambda req, sock: sock.sendall(STREAM) or True, tls=context)


def test_https_gateway_trusted_through_ssl_cert_file(https_upstream, certificate, start_proxy, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    proxy = start_proxy(f"https://localhost:{https_upstream.port}", key="sk-byts-tls-test-key-0001")
    for _ in range(2):
        response = exchange(proxy.port, "POST", "/v1/chat/completions", body=b"{}")
        assert response.status == 200
        assert response.raw_body == STREAM.split(b"\r\n\r\n", 1)[1]
    assert https_upstream.connections == 1  # the TLS connection is kept alive and reused
    assert https_upstream.requests[0].header("authorization") == ["Bearer sk-byts-tls-test-key-0001"]
    assert https_upstream.requests[0].header("host") == [f"localhost:{https_upstream.port}"]


def test_an_untrusted_certificate_is_a_502_with_a_hint(https_upstream, start_proxy, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    proxy = start_proxy(f"https://localhost:{https_upstream.port}", connect_retries=0)
    response = exchange(proxy.port, "GET", "/v1/models")
    assert response.status == 502
    message = json.loads(response.body())["error"]["message"]
    assert "TLS handshake" in message and "SSL_CERT_FILE" in message
    assert https_upstream.requests == []

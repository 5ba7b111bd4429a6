"""Code.Location / Content.Location are presigned URLs that download the exact package, and expire."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest

from lambda_ark import embedded

from .conftest import create_function, sha256_b64, zip_bytes


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as resp:  # noqa: S310 - our own endpoint
        data: bytes = resp.read()
        return data


def fetch_error(url: str) -> tuple[int, str]:
    with pytest.raises(urllib.error.HTTPError) as info:
        fetch(url)
    return info.value.code, info.value.read().decode()


def test_get_function_code_location_downloads_the_package(client: Callable[..., Any], role: str,
                                                           unique: Callable[[str], str]) -> None:
    lam = client("lambda")
    name = unique("code")
    create_function(lam, name, role, text="print('v1')")
    resp = lam.get_function(FunctionName=name)
    assert resp["Code"]["RepositoryType"] == "S3"
    data = fetch(resp["Code"]["Location"])
    assert data == zip_bytes("print('v1')")
    assert sha256_b64(data) == resp["Configuration"]["CodeSha256"]


def test_each_version_downloads_its_own_code(client: Callable[..., Any], role: str,
                                             unique: Callable[[str], str]) -> None:
    lam = client("lambda")
    name = unique("versions")
    create_function(lam, name, role, text="one", Publish=True)
    lam.update_function_code(FunctionName=name, ZipFile=zip_bytes("two"))
    lam.publish_version(FunctionName=name)
    lam.update_function_code(FunctionName=name, ZipFile=zip_bytes("three"))

    for qualifier, text in (("1", "one"), ("2", "two"), ("$LATEST", "three")):
        resp = lam.get_function(FunctionName=name, Qualifier=qualifier)
        data = fetch(resp["Code"]["Location"])
        assert data == zip_bytes(text), qualifier
        assert sha256_b64(data) == resp["Configuration"]["CodeSha256"]


def test_url_issued_before_an_update_keeps_serving_its_package(client: Callable[..., Any], role: str,
                                                               unique: Callable[[str], str]) -> None:
    lam = client("lambda")
    name = unique("immutable")
    create_function(lam, name, role, text="before")
    location = lam.get_function(FunctionName=name)["Code"]["Location"]
    lam.update_function_code(FunctionName=name, ZipFile=zip_bytes("after"))
    assert fetch(location) == zip_bytes("before")


def test_layer_content_location_downloads_the_layer(client: Callable[..., Any],
                                                    unique: Callable[[str], str]) -> None:
    lam = client("lambda")
    name = unique("layer")
    published = lam.publish_layer_version(LayerName=name, Content={"ZipFile": zip_bytes("lib", "lib.py")})
    assert fetch(published["Content"]["Location"]) == zip_bytes("lib", "lib.py")
    got = lam.get_layer_version(LayerName=name, VersionNumber=published["Version"])
    data = fetch(got["Content"]["Location"])
    assert data == zip_bytes("lib", "lib.py")
    assert sha256_b64(data) == got["Content"]["CodeSha256"]


def test_expired_url_is_refused_with_access_denied(endpoint: embedded.Endpoint, client: Callable[..., Any],
                                                   role: str, unique: Callable[[str], str]) -> None:
    lam = client("lambda")
    name = unique("expired")
    create_function(lam, name, role)
    with endpoint.code_urls_expiring_after(0):
        location = lam.get_function(FunctionName=name)["Code"]["Location"]
    assert "X-Amz-Expires=0" in location
    status, body = fetch_error(location)
    assert status == 403
    assert "<Code>AccessDenied</Code>" in body and "Request has expired" in body
    # A fresh URL (default lifetime) works again: callers recover by calling GetFunction again.
    fetch(lam.get_function(FunctionName=name)["Code"]["Location"])


def test_tampered_url_is_refused(client: Callable[..., Any], role: str, unique: Callable[[str], str]) -> None:
    lam = client("lambda")
    name = unique("tamper")
    create_function(lam, name, role)
    location = lam.get_function(FunctionName=name)["Code"]["Location"]
    parts = urlsplit(location)
    query = dict(parse_qsl(parts.query))
    query["X-Amz-Expires"] = "999999"
    status, body = fetch_error(urlunsplit(parts._replace(query=urlencode(query))))
    assert status == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in body


def test_get_layer_version_by_arn(client: Callable[..., Any], unique: Callable[[str], str]) -> None:
    lam = client("lambda")
    published = lam.publish_layer_version(LayerName=unique("by-arn"), Content={"ZipFile": zip_bytes("x", "x.py")})
    got = lam.get_layer_version_by_arn(Arn=published["LayerVersionArn"])
    assert got["Version"] == published["Version"]
    assert fetch(got["Content"]["Location"]) == zip_bytes("x", "x.py")

"""Lambda list operations page at 50 (or MaxItems) with NextMarker/Marker, as AWS does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import botocore.exceptions
import pytest

from .conftest import create_function, zip_bytes

REGION = "eu-north-1"  # a region of its own, so other tests' functions do not change the counts


def collect(call: Callable[..., dict[str, Any]], field: str, **kwargs: Any) -> tuple[list[Any], list[int]]:
    """Follow NextMarker by hand; returns the items and the size of each page."""
    items: list[Any] = []
    sizes: list[int] = []
    marker: str | None = None
    while True:
        resp = call(**kwargs, **({"Marker": marker} if marker else {}))
        items.extend(resp[field])
        sizes.append(len(resp[field]))
        marker = resp.get("NextMarker")
        if not marker:
            return items, sizes


@pytest.fixture(scope="module")
def many_functions(endpoint: Any) -> list[str]:
    import boto3

    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing")
    iam = session.client("iam", region_name=REGION, endpoint_url=endpoint.url)
    lam = session.client("lambda", region_name=REGION, endpoint_url=endpoint.url)
    role = iam.create_role(RoleName="paging-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    names = [f"page-{i:03d}" for i in range(120)]
    for name in names:
        create_function(lam, name, role)
    return names


def test_list_functions_pages_at_50(client: Callable[..., Any], many_functions: list[str]) -> None:
    lam = client("lambda", REGION)
    first = lam.list_functions()
    assert len(first["Functions"]) == 50 and first["NextMarker"]
    items, sizes = collect(lam.list_functions, "Functions")
    assert sizes == [50, 50, 20]
    assert [f["FunctionName"] for f in items] == many_functions


def test_list_functions_honours_smaller_max_items(client: Callable[..., Any], many_functions: list[str]) -> None:
    lam = client("lambda", REGION)
    items, sizes = collect(lam.list_functions, "Functions", MaxItems=7)
    assert sizes == [7] * 17 + [1]
    assert sorted(f["FunctionName"] for f in items) == many_functions
    # MaxItems above the page limit still gives pages of 50.
    assert len(lam.list_functions(MaxItems=1000)["Functions"]) == 50


def test_boto3_paginator_sees_everything(client: Callable[..., Any], many_functions: list[str]) -> None:
    lam = client("lambda", REGION)
    pages = list(lam.get_paginator("list_functions").paginate())
    assert len(pages) == 3
    assert [f["FunctionName"] for p in pages for f in p["Functions"]] == many_functions


def test_invalid_marker_is_rejected(client: Callable[..., Any], many_functions: list[str]) -> None:
    lam = client("lambda", REGION)
    with pytest.raises(botocore.exceptions.ClientError) as info:
        lam.list_functions(Marker="not-a-marker")
    assert info.value.response["Error"]["Code"] == "InvalidParameterValueException"


def test_versions_aliases_and_layers_page(client: Callable[..., Any], role: str,
                                          unique: Callable[[str], str]) -> None:
    lam = client("lambda")
    name = unique("paged-versions")
    create_function(lam, name, role)
    for i in range(55):
        lam.update_function_configuration(FunctionName=name, Description=f"d{i}")
        lam.publish_version(FunctionName=name)
    versions, sizes = collect(lam.list_versions_by_function, "Versions", FunctionName=name)
    assert sizes == [50, 6]
    assert [v["Version"] for v in versions] == ["$LATEST"] + [str(i) for i in range(1, 56)]

    for i in range(53):
        lam.create_alias(FunctionName=name, Name=f"a{i:02d}", FunctionVersion=str(i + 1))
    aliases, sizes = collect(lam.list_aliases, "Aliases", FunctionName=name, MaxItems=20)
    assert sizes == [20, 20, 13]
    assert [a["Name"] for a in aliases] == [f"a{i:02d}" for i in range(53)]

    layer = unique("paged-layer")
    for i in range(52):
        lam.publish_layer_version(LayerName=layer, Content={"ZipFile": zip_bytes(str(i))})
    layer_versions, sizes = collect(lam.list_layer_versions, "LayerVersions", LayerName=layer)
    assert sizes == [50, 2]
    assert [v["Version"] for v in layer_versions] == list(range(52, 0, -1))


def test_list_layers_pages(client: Callable[..., Any], unique: Callable[[str], str]) -> None:
    lam = client("lambda", "ap-south-2")
    for i in range(51):
        lam.publish_layer_version(LayerName=f"layer-{i:02d}", Content={"ZipFile": zip_bytes("x")})
    layers, sizes = collect(lam.list_layers, "Layers")
    assert sizes == [50, 1]
    assert len({layer["LayerName"] for layer in layers}) == 51

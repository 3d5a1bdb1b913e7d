"""The queue service's AWS session keeps only SQS's and SNS's entries of botocore's endpoint table."""

from __future__ import annotations

from aiobotocore.session import get_session

from prisoner_to_nomis_update.framework.aws import SERVICES, aws_session


def test_the_endpoint_table_lists_only_our_services() -> None:
    endpoints = aws_session().get_component("data_loader").load_data("endpoints")
    assert endpoints["partitions"], "the partitions themselves are kept"
    for partition in endpoints["partitions"]:
        assert set(partition["services"]) <= SERVICES
    assert "sqs" in endpoints["partitions"][0]["services"]


async def test_clients_resolve_as_a_default_session_does() -> None:
    credentials = {"aws_access_key_id": "x", "aws_secret_access_key": "y"}
    for region in ("eu-west-2", "us-gov-west-1", "cn-north-1"):
        for service in sorted(SERVICES):
            async with (
                aws_session().create_client(service, region_name=region, **credentials) as ours,
                get_session().create_client(service, region_name=region, **credentials) as default,
            ):
                assert ours.meta.endpoint_url == default.meta.endpoint_url
                assert ours.meta.partition == default.meta.partition

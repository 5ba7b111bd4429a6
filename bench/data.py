"""Event-source data benchmark: lambda-ark's backup of a bucket, a table and a stream against plain
copies of the same data, in the same run, on the embedded endpoint run as its own process.

    python bench/data.py [--objects 200] [--object-kb 256] [--big-mb 24] [--items 20000] [--records 5000]
                         [--scale]

Runs, on the same estate (a function wired to each source):
  (a) plain copy of the bucket: ListObjectsV2 + GetObject of every object into a folder (`aws s3 sync`-like, 8 workers)
  (b) plain Scan dump of the table: a parallel Scan (4 segments) into a JSON-lines file
  (c) plain GetRecords dump of the stream's shards
  (d) lambda-ark backup --data s3,dynamodb,kinesis into a local repository (first run)
  (e) lambda-ark again, nothing changed: GetObject calls (0), bytes added (~0), time
For each: time, MB/s, items/s. --scale runs the backup alone, in a process of its own, on 1x and 10x
the bucket's big object and the table's items: peak memory should stay flat as the data grows.
"""

# ruff: noqa: E402 - the script's folder leaves sys.path before the other imports (see bench/backup.py)
from __future__ import annotations

import sys

sys.path[:] = [p for p in sys.path[1:] if p]

import argparse
import json
import os
import resource
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from lambda_ark.aws import Aws, connect
from lambda_ark.backup import BackupOptions, run_backup
from lambda_ark.demo import estate
from lambda_ark.kinds.common import pages
from lambda_ark.parallel import parallel_map
from lambda_ark.repository import Repository

REGION = "us-east-1"
BUCKET, TABLE, STREAM = "bench-data", "bench-items", "bench-clicks"
PASSWORD = "bench"


def start_endpoint() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, "-m", "lambda_ark", "endpoint", "--port", "0"],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def build(aws: Aws, objects: int, object_kb: int, big_mb: int, items: int, records: int) -> None:
    role = estate.role_arn(aws)
    lam, s3 = aws.client("lambda", REGION), aws.client("s3", REGION)
    ddb, kinesis = aws.client("dynamodb", REGION), aws.client("kinesis", REGION)
    for name in ("bucket-reader", "table-reader", "stream-reader"):
        lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="handler.handler",
                            Code={"ZipFile": estate.package(name)})
    s3.create_bucket(Bucket=BUCKET)
    lam.add_permission(FunctionName="bucket-reader", StatementId="s3", Action="lambda:InvokeFunction",
                       Principal="s3.amazonaws.com", SourceArn=f"arn:aws:s3:::{BUCKET}")
    s3.put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration={"LambdaFunctionConfigurations": [
        {"LambdaFunctionArn": lam.get_function(FunctionName="bucket-reader")["Configuration"]["FunctionArn"],
         "Events": ["s3:ObjectRemoved:*"]}]})
    parallel_map(lambda i: s3.put_object(Bucket=BUCKET, Key=f"objects/{i:05d}", Body=os.urandom(object_kb * 1024)),
                 range(objects), 8)
    if big_mb:
        put_big(aws, big_mb)
    table = ddb.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                             KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                             AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                             StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    put_items(aws, range(items))
    lam.create_event_source_mapping(FunctionName="table-reader", StartingPosition="LATEST",
                                    EventSourceArn=table["TableDescription"]["LatestStreamArn"])
    kinesis.create_stream(StreamName=STREAM, ShardCount=2)
    for start in range(0, records, 500):
        kinesis.put_records(StreamName=STREAM, Records=[
            {"PartitionKey": f"user-{i % 50}", "Data": json.dumps({"click": i, "pad": "x" * 200}).encode()}
            for i in range(start, min(records, start + 500))])
    arn = kinesis.describe_stream_summary(StreamName=STREAM)["StreamDescriptionSummary"]["StreamARN"]
    lam.create_event_source_mapping(FunctionName="stream-reader", StartingPosition="LATEST", EventSourceArn=arn)


def put_big(aws: Aws, mb: int) -> None:
    """One object of `mb` MiB, uploaded in 8 MiB parts (never whole in this process's memory)."""
    s3 = aws.client("s3", REGION)
    upload = s3.create_multipart_upload(Bucket=BUCKET, Key="big/object")["UploadId"]
    parts = []
    for n, start in enumerate(range(0, mb, 8), start=1):
        body = os.urandom(min(8, mb - start) * 1024 * 1024)
        parts.append({"PartNumber": n, "ETag": s3.upload_part(Bucket=BUCKET, Key="big/object", UploadId=upload,
                                                              PartNumber=n, Body=body)["ETag"]})
    s3.complete_multipart_upload(Bucket=BUCKET, Key="big/object", UploadId=upload, MultipartUpload={"Parts": parts})


def put_items(aws: Aws, numbers: range) -> None:
    ddb = aws.client("dynamodb", REGION)

    def batch(start: int) -> None:
        requests = [{"PutRequest": {"Item": {"id": {"S": f"item-{i:07d}"}, "n": {"N": str(i)},
                                             "body": {"S": "y" * 300}}}} for i in range(start, min(start + 25,
                                                                                                   numbers.stop))]
        ddb.batch_write_item(RequestItems={TABLE: requests})

    parallel_map(batch, range(numbers.start, numbers.stop, 25), 8)


def plain_copy(aws: Aws, folder: Path) -> tuple[int, int]:
    s3 = aws.client("s3", REGION)
    listed = list(pages(s3, "list_objects_v2", "Contents", Bucket=BUCKET))

    def one(o: dict[str, Any]) -> int:
        path = folder / o["Key"]
        path.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(BUCKET, o["Key"], str(path))
        return int(o["Size"])

    return len(listed), sum(parallel_map(one, listed, 8))


def plain_scan(aws: Aws, path: Path) -> tuple[int, int]:
    ddb = aws.client("dynamodb", REGION)

    def segment(n: int) -> list[str]:
        return [json.dumps(i) for i in pages(ddb, "scan", "Items", TableName=TABLE, Segment=n, TotalSegments=4)]

    lines = [x for seg in parallel_map(segment, range(4), 4) for x in seg]
    text = "\n".join(lines)
    path.write_text(text)
    return len(lines), len(text)


def plain_records(aws: Aws, path: Path) -> tuple[int, int]:
    k = aws.client("kinesis", REGION)
    count = size = 0
    with path.open("wb") as out:
        for shard in pages(k, "list_shards", "Shards", StreamName=STREAM):
            it = k.get_shard_iterator(StreamName=STREAM, ShardId=shard["ShardId"],
                                      ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            while it:
                answer = k.get_records(ShardIterator=it, Limit=10000)
                for r in answer["Records"]:
                    out.write(r["Data"] + b"\n")
                    count, size = count + 1, size + len(r["Data"])
                if not answer["Records"]:
                    break
                it = answer.get("NextShardIterator")
    return count, size


def timed(label: str, work: Any) -> dict[str, Any]:
    started = time.monotonic()
    count, size = work()
    seconds = time.monotonic() - started
    row = {"run": label, "seconds": round(seconds, 2), "items": count, "MB": round(size / 2**20, 1),
           "MB/s": round(size / 2**20 / seconds, 1), "items/s": round(count / seconds)}
    print(json.dumps(row), flush=True)
    return row


def ark_backup(url: str, repo: Repository, label: str) -> dict[str, Any]:
    aws = connect(endpoint_url=url, max_workers=8)
    options = BackupOptions(regions=[REGION], data=frozenset({"s3", "dynamodb", "kinesis"}), change_feed=False)
    started = time.monotonic()
    result = run_backup(aws, repo, options)
    seconds = time.monotonic() - started
    section = repo.load_snapshot(result.snapshot_id).body["data"]["resources"]
    size = sum(o["size"] for r in section for o in r["objects"])
    count = sum(len(r["objects"]) + r["items"] + sum(s["records"] for s in r["shards"]) for r in section)
    row = {"run": label, "seconds": round(seconds, 2), "items": count, "MB": round(size / 2**20, 1),
           "MB/s": round(size / 2**20 / seconds, 1), "items/s": round(count / seconds),
           "GetObject": aws.calls["s3.GetObject"], "Scan": aws.calls["dynamodb.Scan"],
           "GetRecords": aws.calls["kinesis.GetRecords"], "bytes_added": result.bytes_added, "errors": result.errors}
    print(json.dumps(row), flush=True)
    return row


def compare(url: str) -> None:
    aws = connect(endpoint_url=url, max_workers=8)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        timed("(a) plain copy of the bucket", lambda: plain_copy(aws, folder / "copy"))
        timed("(b) plain Scan dump of the table", lambda: plain_scan(aws, folder / "scan.jsonl"))
        timed("(c) plain GetRecords dump of the stream", lambda: plain_records(aws, folder / "records"))
        repo = Repository.init(str(folder / "repo"), password=PASSWORD, aws=aws)
        ark_backup(url, repo, "(d) lambda-ark backup --data s3,dynamodb,kinesis")
        ark_backup(url, repo, "(e) lambda-ark again, nothing changed")


def scale(args: argparse.Namespace) -> None:
    """Peak memory of a backup of 1x and 10x the data, each in a process of its own."""
    for factor in (1, 10):
        proc, url = start_endpoint()
        try:
            build(connect(endpoint_url=url), 0, 1, args.big_mb * factor, args.items * factor, 0)
            child = subprocess.run([sys.executable, __file__, "--backup-only", url], capture_output=True, text=True,
                                   check=True)
            print(json.dumps({"scale": factor, **json.loads(child.stdout.splitlines()[-1])}), flush=True)
        finally:
            proc.terminate()
            proc.wait(30)


def backup_only(url: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        repo = Repository.init(str(Path(tmp) / "repo"), password=PASSWORD, aws=connect(endpoint_url=url))
        row = ark_backup(url, repo, "backup")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"MB": row["MB"], "items": row["items"], "seconds": row["seconds"], "peak_rss_MB": round(peak)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=200)
    parser.add_argument("--object-kb", type=int, default=256)
    parser.add_argument("--big-mb", type=int, default=24)
    parser.add_argument("--items", type=int, default=20000)
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--scale", action="store_true")
    parser.add_argument("--backup-only", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.backup_only:
        backup_only(args.backup_only)
        return
    if args.scale:
        scale(args)
        return
    proc, url = start_endpoint()
    try:
        print(f"building: {args.objects} objects of {args.object_kb} KB + one of {args.big_mb} MB, {args.items} items,"
              f" {args.records} records ...", flush=True)
        build(connect(endpoint_url=url, max_workers=8), args.objects, args.object_kb, args.big_mb, args.items,
              args.records)
        compare(url)
    finally:
        proc.terminate()
        proc.wait(30)


if __name__ == "__main__":
    main()

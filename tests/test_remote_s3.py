"""Uploaded media in an S3-compatible store (moto's server on 127.0.0.1), put there as the
scheduler's upload flow does (a pre-signed PUT URL from boto3), then checked by ``s3://`` key,
by pre-signed GET URL and by prefix; plus a Dask bag of them on a two-process cluster."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import mediarules
from mediarules.remote import FetchOptions, fetch_all

boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")
Config = pytest.importorskip("botocore.config").Config

from tests.media import make_image, make_video  # noqa: E402

BUCKET = "brandcraft-media"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A running S3 server holding three uploads; yields the endpoint and keys."""
    mp = pytest.MonkeyPatch()
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_SESSION_TOKEN": "testing",
    }.items():
        mp.setenv(name, value)  # fmt: skip
    mp.delenv("AWS_PROFILE", raising=False)
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    folder = tmp_path_factory.mktemp("s3-media")
    files = {
        "images/1710500000000-product-photo.jpg": make_image(
            folder / "p.jpg", size=(1080, 1350), pad_to_bytes=200_000
        ),
        "images/1710500000001-wide.png": make_image(
            folder / "w.png", format="PNG", size=(2000, 500)
        ),
        "videos/1710500000002-promo.mp4": make_video(
            folder / "v.mp4", size=(320, 240), noise=True, audio=None
        ),
    }
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    for key, path in files.items():  # step 3 of the seed's upload flow: PUT {uploadUrl}
        mime = "video/mp4" if key.endswith(".mp4") else "image/jpeg"
        upload_url = client.generate_presigned_url(
            "put_object", Params={"Bucket": BUCKET, "Key": key, "ContentType": mime},
            ExpiresIn=3600,
        )  # fmt: skip
        answer = httpx.put(upload_url, content=path.read_bytes(), headers={"Content-Type": mime})
        assert answer.status_code == 200
    try:
        keys = {key.split("/")[0] + str(i): key for i, key in enumerate(files)}
        yield {"endpoint": endpoint, **keys}
    finally:
        server.stop()
        mp.undo()


def _options(store: dict[str, str]) -> FetchOptions:
    return FetchOptions(allow_hosts=("127.0.0.1",), s3_endpoint=store["endpoint"])


def test_s3_keys_are_read_by_ranged_get_object(store: dict[str, str]) -> None:
    urls = [f"s3://{BUCKET}/{store[k]}" for k in ("images0", "images1", "videos2")]
    photo, wide, promo = fetch_all(urls, _options(store))
    assert photo.facts is not None and (photo.facts.width, photo.facts.height) == (1080, 1350)
    assert photo.requests == 1 and photo.received <= 64 << 10 < photo.facts.size  # type: ignore[operator]
    assert wide.facts is not None and wide.facts.format == "png"
    assert promo.facts is not None and promo.facts.kind == "video" and promo.facts.fps == 30
    assert promo.requests == 2  # the head, then the moov at the end


def test_a_presigned_get_url_is_checked_and_its_signature_never_shown(
    store: dict[str, str],
) -> None:
    client = boto3.client(
        "s3", endpoint_url=store["endpoint"], region_name="us-east-1",
        config=Config(signature_version="s3v4"),
    )  # fmt: skip
    url = client.generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": store["images1"]}, ExpiresIn=600
    )
    assert "X-Amz-Signature=" in url
    signature = url.split("X-Amz-Signature=")[1].split("&")[0]
    report = mediarules.check([url], platforms=["instagram"], allow_hosts=["127.0.0.1"])
    assert report.media[0].width == 2000
    assert report.media[0].path == f"{store['endpoint']}/{BUCKET}/{store['images1']}"
    assert "instagram" in {v.platform for v in report.violations}  # 4:1 is out of its range
    dumped = report.model_dump_json()
    assert signature not in dumped and "X-Amz-Credential" not in dumped


def test_a_private_object_by_its_public_url_is_not_found(store: dict[str, str]) -> None:
    file_url = f"{store['endpoint']}/{BUCKET}/{store['images0']}"  # the record's fileUrl
    report = mediarules.check_payload(
        {"content": "hi", "platforms": ["x"], "media": [
            {"fileName": store["images0"], "type": "image", "mediaId": "1", "fileUrl": file_url}
        ]},
        fetch=True, allow_hosts=["127.0.0.1"],
    )  # fmt: skip
    (violation,) = report.violations
    assert violation.code == "media.not_found" and "403" in violation.message


def test_missing_keys_and_buckets_are_not_found(store: dict[str, str]) -> None:
    urls = [f"s3://{BUCKET}/images/nope.jpg", "s3://no-such-bucket/a.jpg"]
    for result in fetch_all(urls, _options(store)):
        assert result.failure is not None and result.failure.code == "media.not_found"


def test_an_endpoint_on_a_private_address_is_refused_unless_allowed(
    store: dict[str, str],
) -> None:
    options = FetchOptions(s3_endpoint=store["endpoint"])
    (result,) = fetch_all([f"s3://{BUCKET}/{store['images0']}"], options)
    assert result.failure is not None and result.failure.code == "media.fetch_refused"


def test_check_each_over_a_prefix(
    store: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    from mediarules.cli import main

    code = main(["check", "--each", f"s3://{BUCKET}/images/", "-p", "x", "--format", "json",
                 "--s3-endpoint", store["endpoint"], "--allow-host", "127.0.0.1"])  # fmt: skip
    reports = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["media"][0]["path"] for r in reports] == [
        f"s3://{BUCKET}/{store['images0']}",
        f"s3://{BUCKET}/{store['images1']}",
    ]
    assert code in (0, 1) and all(r["media"][0]["kind"] == "image" for r in reports)


def test_a_dask_bag_of_keys_on_two_worker_processes(store: dict[str, str], tmp_path: Path) -> None:
    dask_bag = pytest.importorskip("dask.bag")
    distributed = pytest.importorskip("distributed")
    from mediarules.dask_bag import check_bag

    urls = [f"s3://{BUCKET}/{store[k]}" for k in ("images0", "images1", "videos2")] * 2
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
            local_directory=str(tmp_path),
        ) as cluster,
        distributed.Client(cluster) as client,
    ):  # fmt: skip
        bag = dask_bag.from_sequence(urls, npartitions=2)
        reports = check_bag(bag, platforms=["instagram"], fetch_options=_options(store))
        computed = reports.compute(scheduler=client)
        workers = len(client.scheduler_info()["workers"])
    assert workers == 2
    assert [r.media[0].path for r in computed] == urls
    options = _options(store)
    local = [mediarules.check([u], platforms=["instagram"], fetch_options=options) for u in urls]
    assert [r.model_dump() for r in computed] == [r.model_dump() for r in local]

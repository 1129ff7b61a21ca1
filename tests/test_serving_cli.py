"""`tfgan-suite serve` / `sample --server` entry points and the shipped deployment files."""

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from tfgan_suite.cli import serve as cli
from serving.client import GeneratorClient
from serving import launcher
from serving.launcher import BATCHING_PARAMETERS, DEPLOY_DIR, MESSAGE_LIMITS, MONITORING_CONFIG
from serving.local_server import LocalServer
from serving.model_config import entries_for_base, read_models_config
from serving_fixtures import IMAGE_SHAPE, export_test_models, free_port

# Its module-scoped fixtures are built once: one pytest-xdist worker runs the module.
pytestmark = pytest.mark.xdist_group("test_serving_cli")


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    base = tmp_path_factory.mktemp("served")
    export_test_models(base)
    return base


def parse(argv):
    parser = argparse.ArgumentParser(prog="tfgan-suite")
    cli.register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def test_write_config_for_a_container(base, tmp_path):
    args = parse(["serve", "--model-base", str(base), "--model", "cond", "--model", "uncond",
                  "--write-config", str(tmp_path / "models.config"), "--config-base", "/models"])
    assert args.func(args) == 0
    entries = read_models_config(tmp_path / "models.config")
    assert [(e.name, e.base_path, e.policy) for e in entries] == [
        ("cond", "/models/cond", "latest"), ("uncond", "/models/uncond", "latest")]


def test_sample_from_server_writes_a_grid_or_one_png_per_image(base, tmp_path):
    with LocalServer(entries_for_base(base, ["cond"]), poll_seconds=0) as server:
        args = SimpleNamespace(server=f"127.0.0.1:{server.grpc_port}", model="cond", version=None, label=None,
                               num_samples=5, seed=0, labels=[0, 1, 2, 0, 1], out=str(tmp_path / "grid.png"), grid=True)
        assert cli.sample_from_server(args) == 0
        height, width = IMAGE_SHAPE[:2]
        assert Image.open(tmp_path / "grid.png").size == (3 * width, 2 * height)  # 5 images: 3 columns, 2 rows

        args.grid, args.out, args.labels = False, str(tmp_path / "one" / "img.png"), None
        assert cli.sample_from_server(args) == 0
        written = sorted(p.name for p in (tmp_path / "one").iterdir())
        assert written == [f"img_{i}.png" for i in range(5)]
        pixels = np.array(Image.open(tmp_path / "one" / "img_0.png"))
        with GeneratorClient(args.server, "cond") as client:
            expected = np.round((client.sample(5, 0)[0, ..., 0] + 1) * 127.5)
        np.testing.assert_allclose(pixels, expected, atol=1)


@pytest.mark.slow  # a server subprocess
def test_serve_command_serves_until_sigterm_and_removes_its_config_dir(base, tmp_path):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tfgan_suite.cli.serve", "serve", "--model-base", str(base), "--model", "uncond", "--local",
         "--grpc-port", str(port), "--rest-port", "0"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    try:
        with GeneratorClient(f"127.0.0.1:{port}", "uncond", max_attempts=60, backoff_seconds=1,
                             max_backoff_seconds=1, timeout_seconds=5) as client:  # retried while starting
            assert [s["state"] for s in client.status()] == ["AVAILABLE"]
        assert [p.name[:12] for p in tmp_path.iterdir()] == ["tfgan-serve-"]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        assert list(tmp_path.iterdir()) == []
    finally:
        if process.poll() is None:
            process.kill()


@pytest.mark.slow  # a subprocess
def test_serving_cli_entry_point_answers_a_user_error_in_one_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "tfgan_suite.cli.serve", "serve", "--model-base", str(tmp_path / "nope")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(f"error: model base {tmp_path / 'nope'} is not a directory")


def serve_args(base, *extra):
    return parse(["serve", "--model-base", str(base), *extra])


def test_serve_names_the_models_it_found_for_a_typo(base):
    with pytest.raises(ValueError, match="no model named uncnd under .*; the models there are: cond, i2i, uncond"):
        cli.serve(serve_args(base, "--model", "uncnd", "--local"))
    with pytest.raises(FileNotFoundError, match="is not a directory"):
        cli.serve(serve_args(base / "missing", "--local"))
    with pytest.raises(ValueError, match="--rest-port must differ from --grpc-port"):
        cli.serve(serve_args(base, "--local", "--grpc-port", "9000", "--rest-port", "9000"))


def test_serve_on_a_busy_port_says_so_before_loading(base):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(OSError, match=f"cannot listen for gRPC on 127.0.0.1:{port}"):
            cli.serve(serve_args(base, "--local", "--grpc-port", str(port), "--rest-port", "0"))
        with pytest.raises(OSError, match=f"cannot listen for REST on 127.0.0.1:{port}"):
            cli.serve(serve_args(base, "--local", "--grpc-port", "0", "--rest-port", str(port)))


def test_tf_serving_needs_public_and_gets_the_message_limit(base, tmp_path, monkeypatch, capsys):
    recorded = tmp_path / "args.txt"
    fake = tmp_path / "tensorflow_model_server"
    fake.write_text(f"#!/bin/sh\necho \"$@\" > {recorded}\n")
    fake.chmod(0o755)
    monkeypatch.setattr(launcher, "tf_serving_binary", lambda: str(fake))
    with pytest.raises(ValueError, match="listens on every network interface .*Pass --public"):
        cli.serve(serve_args(base))
    assert not recorded.exists()

    assert cli.serve(serve_args(base, "--public")) == 0
    assert "warning: tensorflow_model_server listens on every network interface" in capsys.readouterr().err
    flags = dict(arg.split("=", 1) for arg in recorded.read_text().split())
    assert flags["--grpc_channel_arguments"] == (
        "grpc.max_receive_message_length=67108864,grpc.max_send_message_length=67108864")
    assert not Path(flags["--model_config_file"]).parent.exists()  # the temporary config dir is gone


def test_batching_parameters_follow_tf_serving_rules():
    text = BATCHING_PARAMETERS.read_text()
    max_batch = int(re.search(r"max_batch_size \{ value: (\d+) \}", text).group(1))
    allowed = [int(v) for v in re.findall(r"allowed_batch_sizes: (\d+)", text)]
    assert allowed == sorted(allowed) and allowed[-1] == max_batch  # session_bundle_config.proto
    for field in ("batch_timeout_micros", "max_enqueued_batches", "num_batch_threads"):
        assert re.search(field + r" \{ value: \d+ \}", text)


def test_deployment_files_reference_each_other():
    assert 'path: "/monitoring/prometheus/metrics"' in MONITORING_CONFIG.read_text()
    compose = (DEPLOY_DIR / "docker-compose.yml").read_text()
    assert "image: tensorflow/serving" in compose
    assert "--model_config_file=/models/models.config" in compose
    assert f"--monitoring_config_file=/config/{MONITORING_CONFIG.name}" in compose
    assert '"127.0.0.1:8500:8500"' in compose
    assert f"--grpc_channel_arguments={MESSAGE_LIMITS}" in compose
    # TF Serving allocates a request's declared shape before any batch cap: a memory limit
    assert re.search(r"mem_limit: \$\{TF_SERVING_MEM_LIMIT:-\d+g\}", compose)

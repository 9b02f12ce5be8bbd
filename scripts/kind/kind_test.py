"""make kind-test: the fleet on a real (kind) cluster, end to end.

    python scripts/kind/kind_test.py check   # make kind-check: the prerequisites, by version
    python scripts/kind/kind_test.py run     # make kind-test: every step below

 1. prerequisites: docker (daemon answering), kind, helm, kubectl, uv, Python 3.13 (scripts/tools/prereqs.py)
 2. cluster: kind create cluster from tests/kind/cluster.yaml (node image pinned by digest)
 3. images: make images IMAGE_PREFIX=fleet IMAGE_TAG=kind, then each service image saved with
    `docker image save` (one platform when Docker keeps images in containerd) and loaded with
    `kind load image-archive`
 4. install: the namespace of tests/kind/namespace.yaml (restricted Pod Security enforced), helm
    upgrade --install with charts/fleet/values-kind.yaml --wait, each Deployment's rollout, helm test
 5. e2e through port-forwards (scripts/e2e_against.py, the entry point the container tier uses), then
    a social -> avatars trace in Jaeger and every service's metrics in Prometheus
 6. restart avatars while a pod inside the cluster sends requests through its Service: zero failures
 7. scale avatars to 3 ready pods and back to 1
 8. always: stop the port-forwards; on failure export logs to KIND_ARTIFACTS; delete the cluster
    (KIND_KEEP=1 keeps it)

Environment: KIND_CLUSTER (fleet-kind), KIND_KEEP=1, KIND_SKIP_BUILD=1 (images already built),
KIND_ARTIFACTS (.tools/kind-logs), KIND_LOAD_SECONDS (90). Every command has a timeout.
Written in Python (no bash-version traps on macOS) so tests/kind can run all of it against recording
stand-ins for kind, kubectl, helm, docker and uv.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts" / "tools"))

import prereqs  # noqa: E402

SERVICES = ("identity", "avatars", "social")
IMAGE_PREFIX = "fleet"
IMAGE_TAG = "kind"
UV_RUN = ("uv", "run", "--frozen", "python")
CLUSTER_CONFIG = ("--config", "tests/kind/cluster.yaml")
#: The service restarted under load and scaled out.
SUBJECT = "avatars"
#: Seconds for one ordinary command; the long ones name their own.
COMMAND_TIMEOUT_S = 120
BUILD_TIMEOUT_S = 3600
INSTALL_TIMEOUT_S = 900
PORT_FORWARD_WAIT_S = 30
SCALE_DOWN_WAIT_S = 120


def log(message: str) -> None:
    print(f"[kind-test] {message}", file=sys.stderr, flush=True)


class StepFailed(Exception):
    """A command of the harness failed; the run stops, cleans up and exits 1."""


@dataclass(frozen=True)
class Config:
    cluster: str = "fleet-kind"
    namespace: str = "fleet"
    release: str = "fleet"
    artifacts: Path = ROOT / ".tools" / "kind-logs"
    load_seconds: int = 90
    keep: bool = False
    skip_build: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Config:
        return cls(
            cluster=env.get("KIND_CLUSTER", "fleet-kind"),
            artifacts=Path(env.get("KIND_ARTIFACTS", str(ROOT / ".tools" / "kind-logs"))),
            load_seconds=int(env.get("KIND_LOAD_SECONDS", "90")),
            keep=env.get("KIND_KEEP", "0") == "1",
            skip_build=env.get("KIND_SKIP_BUILD", "0") == "1",
        )

    @property
    def context(self) -> str:
        return f"kind-{self.cluster}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Harness:
    config: Config
    env: dict[str, str]
    forwards: list[subprocess.Popen[bytes]] = field(default_factory=list)
    cluster_touched: bool = False

    # -- commands ------------------------------------------------------------------------------
    def run(self, argv: list[str], *, timeout: float = COMMAND_TIMEOUT_S, stdin: str | None = None) -> str:
        """Run one command from the repository root; its output, or StepFailed."""
        log("$ " + " ".join(argv))
        try:
            done = subprocess.run(
                argv, input=stdin, capture_output=True, text=True, timeout=timeout, env=self.env, cwd=ROOT, check=False
            )
        except subprocess.TimeoutExpired as error:
            msg = f"{argv[0]} did not finish within {timeout:.0f} s"
            raise StepFailed(msg) from error
        except OSError as error:
            msg = f"{argv[0]} could not start: {error}"
            raise StepFailed(msg) from error
        if done.stdout:
            sys.stderr.write(done.stdout)
        if done.stderr:
            sys.stderr.write(done.stderr)
        if done.returncode != 0:
            msg = f"`{' '.join(argv)}` exited {done.returncode}"
            raise StepFailed(msg)
        return done.stdout

    def kubectl(self, *args: str, timeout: float = COMMAND_TIMEOUT_S, stdin: str | None = None) -> str:
        return self.run(
            ["kubectl", "--context", self.config.context, "-n", self.config.namespace, *args],
            timeout=timeout,
            stdin=stdin,
        )

    def helm(self, *args: str, timeout: float = INSTALL_TIMEOUT_S) -> str:
        return self.run(
            ["helm", "--kube-context", self.config.context, "-n", self.config.namespace, *args], timeout=timeout
        )

    def deployment(self, service: str) -> str:
        return f"deployment/{self.config.release}-{service}"

    # -- steps ---------------------------------------------------------------------------------
    def prerequisites(self) -> None:
        findings = prereqs.check(prereqs.PROFILES["kind"], self.env)
        log("\n" + prereqs.report("kind-test", findings))
        if not all(finding.ok for finding in findings):
            msg = "prerequisites not met (above: what is missing and the version needed)"
            raise StepFailed(msg)

    def cluster(self) -> None:
        self.cluster_touched = True
        if self.config.cluster not in self.run(["kind", "get", "clusters"]).split():
            self.run(
                [*("kind", "create", "cluster", "--name", self.config.cluster), *CLUSTER_CONFIG, "--wait", "180s"],
                timeout=600,
            )

    def images(self) -> None:
        if not self.config.skip_build:
            self.run(
                ["make", "images", f"IMAGE_PREFIX={IMAGE_PREFIX}", f"IMAGE_TAG={IMAGE_TAG}"], timeout=BUILD_TIMEOUT_S
            )
        # Docker 29 keeps images in containerd by default; `kind load docker-image` then fails on the
        # content of platforms not present. One platform's archive loads either way.
        containerd = "io.containerd.snapshotter" in self.run(["docker", "info", "--format", "{{json .DriverStatus}}"])
        platform = ["--platform", f"linux/{self.run(['docker', 'version', '--format', '{{.Server.Arch}}']).strip()}"]
        with tempfile.TemporaryDirectory(prefix="fleet-kind-") as tmp:
            for service in SERVICES:
                archive = str(Path(tmp) / f"{service}.tar")
                image = f"{IMAGE_PREFIX}/{service}:{IMAGE_TAG}"
                self.run(["docker", "image", "save", *(platform if containerd else []), "-o", archive, image])
                self.run(["kind", "load", "image-archive", archive, "--name", self.config.cluster], timeout=600)

    def install(self) -> None:
        self.run(["kubectl", "--context", self.config.context, "apply", "-f", "tests/kind/namespace.yaml"])
        self.run(["helm", "dependency", "build", "charts/fleet"])
        self.helm(
            "upgrade", "--install", self.config.release, "charts/fleet", "-f", "charts/fleet/values-kind.yaml",
            "--wait", "--timeout", "10m",
        )  # fmt: skip
        for service in SERVICES:
            self.kubectl("rollout", "status", self.deployment(service), "--timeout", "5m", timeout=330)
        self.helm("test", self.config.release, "--logs", "--timeout", "5m")

    def port_forward(self, service: str, remote: int) -> str:
        local = free_port()
        argv = ["kubectl", "--context", self.config.context, "-n", self.config.namespace, "port-forward"]
        argv += [f"svc/{self.config.release}-{service}", f"{local}:{remote}"]
        log("$ " + " ".join(argv) + " &")
        process = subprocess.Popen(argv, env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.forwards.append(process)
        deadline = time.monotonic() + PORT_FORWARD_WAIT_S
        while not port_open(local):
            if process.poll() is not None or time.monotonic() > deadline:
                msg = f"port-forward to {service} did not open 127.0.0.1:{local}"
                raise StepFailed(msg)
            time.sleep(0.1)
        return f"http://127.0.0.1:{local}"

    def stop_port_forwards(self) -> None:
        for process in self.forwards:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        self.forwards.clear()

    def e2e_traces_metrics(self) -> None:
        urls = {service: self.port_forward(service, 8000) for service in SERVICES}
        jaeger = self.port_forward("jaeger", 16686)
        prometheus = self.port_forward("prometheus", 9090)
        self.run(
            [*UV_RUN, "scripts/e2e_against.py", *(f"--url={service}={url}" for service, url in urls.items())],
            timeout=1800,
        )
        self.run(
            [
                *UV_RUN,
                "scripts/kind/check_observability.py",
                *("--jaeger", jaeger, "--prometheus", prometheus),
                "--release",
                self.config.release,
            ],
            timeout=300,
        )
        self.stop_port_forwards()

    def load_pod(self, image: str) -> dict[str, object]:
        """A pod inside the cluster that sends requests through the Service (tests/kind/load.py).

        It carries the smoke-test labels the NetworkPolicy admits and is hardened for the restricted
        Pod Security level.
        """
        release, service = self.config.release, SUBJECT
        url = f"http://{release}-{service}:8000/v1/{service}/00000000-0000-7000-8000-000000000000"
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": f"{release}-{service}-load",
                "labels": {
                    "app.kubernetes.io/name": f"{service}-load",
                    "app.kubernetes.io/instance": release,
                    "app.kubernetes.io/component": "smoke-test",
                },
            },
            "spec": {
                "restartPolicy": "Never",
                "automountServiceAccountToken": False,
                "securityContext": {
                    "runAsNonRoot": True,
                    "runAsUser": 10001,
                    "runAsGroup": 10001,
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
                "containers": [
                    {
                        "name": "load",
                        "image": image,
                        "imagePullPolicy": "Never",
                        "command": ["python", "/load/load.py", url, str(self.config.load_seconds), "8"],
                        "securityContext": {
                            "allowPrivilegeEscalation": False,
                            "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]},
                        },
                        "volumeMounts": [{"name": "load", "mountPath": "/load", "readOnly": True}],
                    }
                ],
                "volumes": [{"name": "load", "configMap": {"name": f"{release}-{service}-load"}}],
            },
        }

    def restart_under_load(self) -> None:
        pod = f"{self.config.release}-{SUBJECT}-load"
        jsonpath = f"jsonpath={{.spec.template.spec.containers[?(@.name=='{SUBJECT}')].image}}"
        image = self.kubectl("get", self.deployment(SUBJECT), "-o", jsonpath).strip()
        self.kubectl("delete", "pod", pod, "--ignore-not-found", "--wait")
        configmap = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": pod},
            "data": {"load.py": (ROOT / "tests" / "kind" / "load.py").read_text()},
        }
        self.kubectl("apply", "-f", "-", stdin=json.dumps(configmap))
        self.kubectl("apply", "-f", "-", stdin=json.dumps(self.load_pod(image)))
        self.kubectl("wait", f"pod/{pod}", "--for=condition=Ready", "--timeout", "2m", timeout=150)
        time.sleep(min(5, self.config.load_seconds / 4))
        self.kubectl("rollout", "restart", self.deployment(SUBJECT))
        self.kubectl("rollout", "status", self.deployment(SUBJECT), "--timeout", "5m", timeout=330)
        wait = self.config.load_seconds + 60
        try:
            self.kubectl(
                "wait",
                f"pod/{pod}",
                "--for=jsonpath={.status.phase}=Succeeded",
                "--timeout",
                f"{wait}s",
                timeout=wait + 30,
            )
        except StepFailed as error:
            log(f"the load pod did not succeed: {error}")
        self.kubectl("logs", f"pod/{pod}")
        phase = self.kubectl("get", f"pod/{pod}", "-o", "jsonpath={.status.phase}").strip()
        self.kubectl("delete", "pod", pod, "--wait=false")
        self.kubectl("delete", "configmap", pod)
        if phase != "Succeeded":
            msg = f"requests failed while {SUBJECT} restarted (load pod: {phase})"
            raise StepFailed(msg)
        log(f"{SUBJECT} restarted under load with zero failed requests")

    def scale(self) -> None:
        deployment = self.deployment(SUBJECT)
        self.kubectl("scale", deployment, "--replicas", "3")
        self.kubectl("rollout", "status", deployment, "--timeout", "5m", timeout=330)
        ready = self.kubectl("get", deployment, "-o", "jsonpath={.status.readyReplicas}").strip()
        if ready != "3":
            msg = f"{SUBJECT} has {ready or 0} ready pods, expected 3"
            raise StepFailed(msg)
        self.kubectl("scale", deployment, "--replicas", "1")
        self.kubectl("rollout", "status", deployment, "--timeout", "5m", timeout=330)
        selector = f"app.kubernetes.io/name={SUBJECT},app.kubernetes.io/instance={self.config.release}"
        deadline = time.monotonic() + SCALE_DOWN_WAIT_S
        while (pods := len(self.kubectl("get", "pods", "-l", selector, "-o", "name").split())) != 1:
            if time.monotonic() > deadline:
                msg = f"{SUBJECT} still has {pods} pods {SCALE_DOWN_WAIT_S} s after scaling back to 1"
                raise StepFailed(msg)
            time.sleep(2)

    def export_logs(self) -> None:
        """What a failed run leaves to read: resources, pod descriptions, every node's logs."""
        artifacts = self.config.artifacts
        artifacts.mkdir(parents=True, exist_ok=True)
        log(f"exporting logs to {artifacts}")
        for name, args in (
            ("resources.txt", ("get", "all,networkpolicy,events", "-o", "wide")),
            ("pods.txt", ("describe", "pods")),
        ):
            try:
                (artifacts / name).write_text(self.kubectl(*args))
            except StepFailed as error:
                (artifacts / name).write_text(f"{error}\n")
        try:
            self.run(["kind", "export", "logs", str(artifacts / "kind"), "--name", self.config.cluster], timeout=300)
        except StepFailed as error:
            log(f"kind export logs: {error}")

    def cleanup(self, *, failed: bool) -> None:
        self.stop_port_forwards()
        if not self.cluster_touched:
            return
        if failed:
            self.export_logs()
        if self.config.keep:
            log(f"KIND_KEEP=1: cluster {self.config.cluster} kept (kind delete cluster --name {self.config.cluster})")
            return
        try:
            self.run(["kind", "delete", "cluster", "--name", self.config.cluster], timeout=300)
        except StepFailed as error:
            log(f"kind delete cluster: {error}")

    def steps(self) -> list[tuple[str, Callable[[], None]]]:
        return [
            ("prerequisites", self.prerequisites),
            (f"cluster {self.config.cluster} from tests/kind/cluster.yaml", self.cluster),
            ("images: build and load into kind", self.images),
            (
                f"install into namespace {self.config.namespace} (Pod Security: restricted), wait, helm test",
                self.install,
            ),
            ("e2e, traces and metrics", self.e2e_traces_metrics),
            (f"restart {SUBJECT} under load ({self.config.load_seconds} s)", self.restart_under_load),
            (f"scale {SUBJECT} to 3 and back to 1", self.scale),
        ]

    def run_all(self) -> int:
        steps = self.steps()
        failed = True
        try:
            for number, (title, step) in enumerate(steps, start=1):
                log(f"{number}/{len(steps) + 1} {title}")
                step()
            failed = False
        except StepFailed as error:
            log(f"FAIL: {error}")
        finally:
            log(f"{len(steps) + 1}/{len(steps) + 1} cleanup")
            self.cleanup(failed=failed)
        log("FAILED" if failed else "passed")
        return 1 if failed else 0


def main(argv: list[str]) -> int:
    if argv not in (["check"], ["run"]):
        print("usage: kind_test.py {check,run}", file=sys.stderr)
        return 2
    env = dict(os.environ)
    if argv == ["check"]:
        status: int = prereqs.main(["kind"])
        return status
    return Harness(Config.from_env(env), env).run_all()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""What of `make kind-test` can run without a cluster: its parsing, its load tool, its config."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def load_module(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


observability = load_module(ROOT / "scripts" / "kind" / "check_observability.py")
load = load_module(ROOT / "tests" / "kind" / "load.py")


def jaeger_trace(parent_service: str) -> dict:
    return {
        "traceID": "abc",
        "processes": {"p1": {"serviceName": parent_service}, "p2": {"serviceName": "avatars"}},
        "spans": [
            {"spanID": "s1", "processID": "p1", "references": []},
            {"spanID": "s2", "processID": "p1", "references": [{"refType": "CHILD_OF", "spanID": "s1"}]},
            {"spanID": "a1", "processID": "p2", "references": [{"refType": "CHILD_OF", "spanID": "s2"}]},
        ],
    }


def test_a_trace_where_social_is_the_parent_of_avatars_is_found():
    assert (
        observability.trace_crossing([jaeger_trace("identity"), jaeger_trace("social")], "social", "avatars") == "abc"
    )


def test_traces_without_the_parent_link_are_not_counted():
    unlinked = jaeger_trace("social")
    unlinked["spans"][2]["references"] = []
    assert observability.trace_crossing([unlinked, jaeger_trace("identity")], "social", "avatars") is None


def test_prometheus_jobs_need_a_positive_sample():
    answer = {
        "status": "success",
        "data": {
            "resultType": "vector",
            "result": [
                {"metric": {"job": "fleet-identity"}, "value": [1, "12"]},
                {"metric": {"job": "fleet-social"}, "value": [1, "0"]},
            ],
        },
    }
    assert observability.jobs_with_samples(answer) == {"fleet-identity"}
    assert observability.jobs_with_samples({"status": "error"}) == set()


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(503 if self.path == "/broken" else 404)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_load_counts_4xx_as_answers(server):
    summary = load.run(f"{server}/v1/avatars/x", 0.5, 2)
    assert summary["requests"] > 0
    assert summary["failed"] == 0


def test_load_counts_5xx_and_refused_connections_as_failures(server):
    assert load.run(f"{server}/broken", 0.3, 1)["failures"].keys() == {"503"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "kind" / "load.py"), "http://127.0.0.1:9/", "0.3", "1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert '"failed": ' in done.stdout


def test_kind_values_use_the_images_make_images_builds():
    values = yaml.safe_load((ROOT / "charts" / "fleet" / "values-kind.yaml").read_text())
    for svc in ("identity", "avatars", "social"):
        image = values[svc]["image"]
        # make images IMAGE_PREFIX=fleet IMAGE_TAG=kind builds fleet/<svc>:kind; kind load needs Never.
        assert (image["repository"], image["tag"], image["pullPolicy"]) == (f"fleet/{svc}", "kind", "Never")


def test_the_namespace_enforces_restricted_pod_security():
    namespace = yaml.safe_load((ROOT / "tests" / "kind" / "namespace.yaml").read_text())
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_the_cluster_has_workers_for_spread_and_scale():
    cluster = yaml.safe_load((ROOT / "tests" / "kind" / "cluster.yaml").read_text())
    assert [n["role"] for n in cluster["nodes"]].count("worker") >= 2


def test_the_image_scripts_and_ci_entry_point_are_shellcheck_clean():
    scripts = [*sorted(str(p) for p in (ROOT / "scripts" / "images").glob("*.sh")), ".ci/run", ".ci/unprivileged"]
    done = subprocess.run(["shellcheck", "-x", *scripts], capture_output=True, text=True, check=False, cwd=ROOT)
    assert done.returncode == 0, done.stdout


def test_the_cluster_pins_its_node_image_by_digest():
    cluster = yaml.safe_load((ROOT / "tests" / "kind" / "cluster.yaml").read_text())
    images = {node.get("image", "") for node in cluster["nodes"]}
    assert len(images) == 1
    assert re.fullmatch(r"kindest/node:v1\.35\.\d+@sha256:[0-9a-f]{64}", images.pop())


DIGEST = r"@sha256:[0-9a-f]{64}"


@pytest.mark.parametrize("component", ["postgresql", "otelCollector", "jaeger", "prometheus"])
def test_every_dev_stack_image_is_pinned_by_digest(component):
    values = yaml.safe_load((ROOT / "charts" / "fleet" / "values.yaml").read_text())
    assert re.fullmatch(rf"[\w./-]+:[\w.-]+{DIGEST}", values[component]["image"])


def test_the_base_images_are_pinned_by_digest_and_renovate_keeps_every_pin_current():
    dockerfile = (ROOT / "base-image" / "Dockerfile").read_text()
    for arg in ("PYTHON_IMAGE", "UV_IMAGE"):
        assert re.search(rf"^ARG {arg}=[\w./-]+:[\w.-]+{DIGEST}$", dockerfile, re.MULTILINE), arg
    config = json.loads((ROOT / "renovate.json").read_text())
    managed = {path for rule in config["customManagers"] for path in rule["managerFilePatterns"]}
    assert {"/^tests/kind/cluster\\.yaml$/", "/^charts/fleet/values\\.yaml$/", "/^base-image/Dockerfile$/"} <= managed
    assert "github-actions" in config["enabledManagers"]
    assert config["pinDigests"] is True

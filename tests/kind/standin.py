"""A recording stand-in for kind, kubectl, helm, docker and uv (the contract test of make kind-test).

    standin.py TOOL ARG...

Appends {"tool", "argv", "stdin"} to the JSON-lines file $STANDIN_LOG and answers plausibly: versions,
the clusters it created, port-forwards that accept connections, replica counts it was scaled to.
Stand-ins, because a kind cluster cannot run on the machine that runs `make test` (no node image can
be pulled); the real tools run in `make kind-test`. $STANDIN_KIND_VERSION and $STANDIN_DOCKER_STORE
(containerd, the default, or overlay2) change two answers. $STANDIN_FAIL makes the first command whose
"tool argv..." line contains it exit 1, to test cleanup after a failure at that step.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import time
from pathlib import Path

LOG = Path(os.environ["STANDIN_LOG"])
STATE = LOG.with_suffix(".state.json")

VERSIONS = {
    ("kind", "version"): os.environ.get("STANDIN_KIND_VERSION", "kind v0.31.0 go1.25.5 linux/amd64"),
    ("helm", "version"): "v4.1.4+g05fa379",
    ("kubectl", "version"): "Client Version: v1.35.2\nKustomize Version: v5.7.1",
    ("uv", "--version"): "uv 0.13.9",
    ("docker", "buildx"): "github.com/docker/buildx v0.30.1",
}


def state() -> dict[str, dict[str, int]]:
    if STATE.exists():
        loaded: dict[str, dict[str, int]] = json.loads(STATE.read_text())
        return loaded
    return {"clusters": {}, "replicas": {}}


def save(current: dict[str, dict[str, int]]) -> None:
    STATE.write_text(json.dumps(current))


def option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def serve_forever(port: int) -> None:
    """A port-forward: accept (and close) connections until terminated."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen()
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            connection, _ = sock.accept()
            connection.close()


def kind(argv: list[str], current: dict[str, dict[str, int]]) -> str:
    if argv[:2] == ["get", "clusters"]:
        return "\n".join(current["clusters"])
    if argv[:2] == ["create", "cluster"]:
        current["clusters"][option(argv, "--name")] = 1
    elif argv[:2] == ["delete", "cluster"]:
        current["clusters"].pop(option(argv, "--name"), None)
    elif argv[:2] == ["load", "image-archive"] and not Path(argv[2]).is_file():
        sys.exit(f"ERROR: no archive {argv[2]}")
    elif argv[:2] == ["export", "logs"]:
        Path(argv[2]).mkdir(parents=True, exist_ok=True)
    return ""


def kubectl(argv: list[str], current: dict[str, dict[str, int]]) -> str:
    args = argv[argv.index("-n") + 2 :] if "-n" in argv else argv[argv.index("--context") + 2 :]
    if args[:1] == ["port-forward"]:
        serve_forever(int(args[2].split(":")[0]))
    if args[:1] == ["scale"]:
        current["replicas"][args[1]] = int(option(args, "--replicas"))
    if args[:1] == ["get"] and "jsonpath={.status.readyReplicas}" in args:
        return str(current["replicas"].get(args[1], 1))
    if args[:1] == ["get"] and any(".image}" in a for a in args):
        return "fleet/avatars:kind"
    if args[:1] == ["get"] and "jsonpath={.status.phase}" in args:
        return "Succeeded"
    if args[:2] == ["get", "pods"]:
        return "\n".join(
            f"pod/fleet-avatars-{n}" for n in range(current["replicas"].get("deployment/fleet-avatars", 1))
        )
    return ""


def docker(argv: list[str], current: dict[str, dict[str, int]]) -> str:
    if argv[:2] == ["version", "--format"]:
        return "amd64" if "Arch" in argv[2] else "29.1.3"
    if argv[:1] == ["info"]:  # Docker 29's default: images kept in containerd
        if os.environ.get("STANDIN_DOCKER_STORE", "containerd") == "containerd":
            return '[["driver-type","io.containerd.snapshotter.v1"]]'
        return '[["Backing Filesystem","extfs"],["Supports d_type","true"]]'
    if argv[:2] == ["image", "save"]:
        Path(option(argv, "-o")).write_bytes(b"image archive")
    return ""


def uv(argv: list[str], current: dict[str, dict[str, int]]) -> str:
    if argv[:2] == ["python", "find"]:
        return sys.executable
    return ""


def main() -> None:
    tool, argv = sys.argv[1], sys.argv[2:]
    # Only a command told to read stdin does (`kubectl apply -f -`): build.sh's loop feeds its own.
    stdin = sys.stdin.read() if "-" in argv and sys.stdin is not None else ""
    with LOG.open("a") as record:
        record.write(json.dumps({"tool": tool, "argv": argv, "stdin": stdin}) + "\n")
    fail = os.environ.get("STANDIN_FAIL")
    if fail and fail in " ".join([tool, *argv]) and not LOG.with_suffix(".failed").exists():
        LOG.with_suffix(".failed").write_text(fail)
        sys.exit(f"{tool}: failing on purpose ({fail})")
    for (name, first), answer in VERSIONS.items():
        if tool == name and argv[:1] == [first]:
            print(answer)
            return
    current = state()
    answers = {"kind": kind, "kubectl": kubectl, "docker": docker, "uv": uv}
    answer = answers[tool](argv, current) if tool in answers else ""
    save(current)
    if answer:
        print(answer)


if __name__ == "__main__":
    main()

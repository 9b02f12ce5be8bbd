"""``python -m identity migrate`` | ``python -m identity keygen DIR`` | ``python -m identity rotate-keys DIR``.

``keygen`` writes whichever of ``current.pem``/``next.pem`` is missing and changes nothing else;
``rotate-keys`` promotes next to current and current to previous and writes a new next (see
``identity.tokens`` and the rotation section of docs/deploy.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

from fleetkit.cli import main
from identity.app import MIGRATIONS
from identity.settings import IdentitySettings
from identity.tokens import generate_keys, rotate_keys


def _keys_command(command: str, folder: Path) -> int:
    if command == "keygen":
        written = generate_keys(folder)
        print("\n".join(str(p) for p in written) if written else f"{folder}: current.pem and next.pem already exist")
        return 0
    refusal = rotate_keys(folder)
    if refusal is not None:
        print(f"rotate-keys: {refusal}", file=sys.stderr)
        return 2
    print(f"{folder}: next.pem promoted to current.pem, current.pem kept as previous.pem, new next.pem written")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] in (["keygen"], ["rotate-keys"]) and len(sys.argv) == 3:
        sys.exit(_keys_command(sys.argv[1], Path(sys.argv[2])))
    sys.exit(main(IdentitySettings, MIGRATIONS))

"""``python -m identity migrate`` | ``python -m identity keygen DIR``."""

from __future__ import annotations

import sys
from pathlib import Path

from fleetkit.cli import main
from identity.app import MIGRATIONS
from identity.settings import IdentitySettings
from identity.tokens import generate_keys

if __name__ == "__main__":
    if sys.argv[1:2] == ["keygen"] and len(sys.argv) == 3:
        print(generate_keys(Path(sys.argv[2])))
        sys.exit(0)
    sys.exit(main(IdentitySettings, MIGRATIONS))

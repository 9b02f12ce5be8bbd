"""``python -m avatars migrate``."""

from __future__ import annotations

import sys

from avatars.app import MIGRATIONS
from avatars.settings import AvatarsSettings
from fleetkit.cli import main

if __name__ == "__main__":
    sys.exit(main(AvatarsSettings, MIGRATIONS))

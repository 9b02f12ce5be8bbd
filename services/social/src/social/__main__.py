"""``python -m social migrate``."""

from __future__ import annotations

import sys

from fleetkit.cli import main
from social.app import MIGRATIONS
from social.settings import SocialSettings

if __name__ == "__main__":
    sys.exit(main(SocialSettings, MIGRATIONS))

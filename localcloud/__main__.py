"""``python -m lookoutvision_localcloud``: see lookoutvision_localcloud.cli."""

from __future__ import annotations

import sys

from lookoutvision_localcloud.cli import main

if __name__ == "__main__":
    sys.exit(main())

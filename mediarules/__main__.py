"""``python -m mediarules``."""

from mediarules.cli import main

raise SystemExit(main())

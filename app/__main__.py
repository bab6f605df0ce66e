"""``python -m app`` is the ``roster`` command."""

from app.cli import main

raise SystemExit(main())

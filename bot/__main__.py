"""``python -m bot`` is the ``newsbot`` command."""

from __future__ import annotations

from .cli import main

raise SystemExit(main())

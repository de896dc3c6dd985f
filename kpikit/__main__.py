"""``python -m kpikit``: the same as the ``kpikit`` command."""

from kpikit.cli import main

if __name__ == "__main__":
    raise SystemExit(main())

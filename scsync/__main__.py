"""``python -m scsync``: the same command line as the ``scsync`` script."""

from __future__ import annotations

from scsync.cli import main

if __name__ == "__main__":
    main(prog_name="scsync")

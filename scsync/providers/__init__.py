"""Providers: the platforms scsync reads and writes (``socialconnect``; ``emulator`` in-process)."""

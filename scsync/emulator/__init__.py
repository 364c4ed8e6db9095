"""A local Social Connect: the platform API of platform-api.md over SQLite (imports nothing of scsync)."""

"""Day-two operations over a live account or a config tree: ``export`` (live -> config YAML),
``fmt`` (canonical YAML, comments kept), ``snapshot`` (live -> emulator fixture) and the profile
group export (CSV/XLSX). Each module is a library the CLI calls through a few lines."""

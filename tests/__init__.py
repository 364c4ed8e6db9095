"""The test suite: unit, integration, golden, fuzz and security tests (run with `make test`)."""

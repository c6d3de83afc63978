"""Fixtures for the end-to-end tests: real services started by the harness itself."""

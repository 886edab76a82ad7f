"""Shared test helpers: model files built in the tests, and reading back what the app draws."""

"""The setup engine's tests: the same temp-home fixtures as the tools' tests."""

from tests.tools.conftest import engine, home  # noqa: F401  (fixtures)

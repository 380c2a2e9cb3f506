"""The security suite runs on the API's test world (two districts, every role), over HTTP."""

from __future__ import annotations

from tests.functional.api.conftest import _api_tmp, api  # noqa: F401 - fixtures

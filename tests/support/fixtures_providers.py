"""Fixtures for the provider-check tests: a private CA for the module and the GitHub and
GitLab stand-ins (tests/support/providers.py) on https signed by it. Registered by the
root conftest (`pytest_plugins`): the CLI, GUI and keyring tests of the check all use
them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.providers import GitHubStandIn, GitLabStandIn, TestCA


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> TestCA:
    return TestCA(tmp_path_factory.mktemp("ca"))


@pytest.fixture
def github(ca: TestCA) -> Iterator[GitHubStandIn]:
    with GitHubStandIn(ca) as server:
        yield server  # type: ignore[misc]


@pytest.fixture
def gitlab(ca: TestCA) -> Iterator[GitLabStandIn]:
    with GitLabStandIn(ca) as server:
        yield server  # type: ignore[misc]

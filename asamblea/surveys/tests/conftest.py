import pytest

from asamblea.testing import FederationCast, make_federation_cast


@pytest.fixture
def fed(db) -> FederationCast:
    return make_federation_cast()

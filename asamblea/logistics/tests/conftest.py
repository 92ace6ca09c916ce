import pytest

from asamblea.logistics.tests.scene import Scene, make_scene


@pytest.fixture
def scene(db) -> Scene:
    return make_scene()

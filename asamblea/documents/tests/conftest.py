from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from asamblea.bodies.models import Body
from asamblea.coordination import actions as coord
from asamblea.documents import actions
from asamblea.documents.models import Document
from asamblea.testing import Cast, affiliate, make_delegate, make_person

DRAFT = (
    "Exigimos agua potable para todos los barrios.\n\n"
    "La educación pública será gratuita.\n\n"
    "Las asambleas deciden.\n\n"
    "Ningún dirigente sin mandato revocable."
)


@dataclass
class Congress:
    cast: Cast
    cora: Any  # facilitates the Federation, drafting commission
    dave: Any  # North's delegate
    federation: Body
    program: Document  # the Federation's draft program
    local: Document  # North's own statement


@pytest.fixture
def congress(cast: Cast) -> Congress:
    cora = make_person("cora")
    dave = make_person("dave")
    federation = coord.coordination_create(
        cora,
        name="Federation",
        kind="regional_coordination",
        visibility="public",
        forward_threshold=1,
        forward_decision="facilitator",
    )
    affiliate(cast.north, federation)
    affiliate(cast.south, federation)
    make_delegate(dave, cast.north, federation)
    make_delegate(cast.frank, cast.south, federation)
    program = actions.document_create(
        cora, federation, title="Programa", kind="program", text=DRAFT
    )
    local = actions.document_create(
        cast.alice, cast.north, title="Declaración", kind="statement", text=DRAFT
    )
    return Congress(cast, cora, dave, federation, program, local)

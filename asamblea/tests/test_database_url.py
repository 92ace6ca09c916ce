"""DATABASE_URL: the PostgreSQL server by address, or on the same machine by socket directory."""

from __future__ import annotations

import pytest

from asamblea.settings import _database_from_url


@pytest.mark.parametrize(
    ("url", "host", "port", "name", "user"),
    [
        ("postgres://postgres@127.0.0.1:5432/test", "127.0.0.1", "5432", "test", "postgres"),
        ("postgresql://u:p%40ss@db.example.org/asamblea", "db.example.org", "", "asamblea", "u"),
        (
            "postgres://u@%2Fvar%2Frun%2Fpostgresql/asamblea",
            "/var/run/postgresql",
            "",
            "asamblea",
            "u",
        ),
        ("postgres://u@%2Frun%2FPG:5433/x", "/run/PG", "5433", "x", "u"),
        (
            "postgresql://u@/asamblea?host=/var/run/postgresql",
            "/var/run/postgresql",
            "",
            "asamblea",
            "u",
        ),
    ],
)
def test_database_url_gives_host_port_name_and_user(url, host, port, name, user):
    parsed = _database_from_url(url)
    assert (parsed["HOST"], parsed["PORT"], parsed["NAME"], parsed["USER"]) == (
        host,
        port,
        name,
        user,
    )


def test_database_url_keeps_a_percent_encoded_password():
    assert _database_from_url("postgres://u:p%40ss@h/n")["PASSWORD"] == "p@ss"


def test_database_url_refuses_other_schemes():
    with pytest.raises(ValueError, match="unsupported scheme"):
        _database_from_url("mysql://u@h/n")

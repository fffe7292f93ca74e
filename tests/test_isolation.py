"""Each test starts from the same empty state (plus seeded regencies)."""
from tests.helpers import count, create_op, register, sync


def test_a_writes_a_report(client):
    key = register(client)
    assert sync(client, key, [create_op()]).status_code == 200
    assert count("reports") == 1


def test_b_does_not_see_what_a_wrote(client):
    assert count("reports") == 0
    assert count("devices") == 0
    assert count("regencies") == 2
    assert count("areas") == 256  # Musi Banyuasin's areas: reference data, kept

import pytest

from backend.config import SETTINGS, load_settings


def test_every_setting_has_type_default_and_meaning():
    names = [s.name for s in SETTINGS]
    assert len(names) == len(set(names))
    assert all(s.help and s.type for s in SETTINGS)


def test_environment_values_are_typed():
    settings = load_settings({"SYNC_MAX_OPS": "50", "DATABASE_URL": "sqlite:///x"})
    assert settings["SYNC_MAX_OPS"] == 50 and settings["DATABASE_URL"] == "sqlite:///x"
    assert settings["CLOCK_SKEW_FLAG_SECONDS"] == 300


def test_bad_value_names_the_setting():
    with pytest.raises(RuntimeError, match="SYNC_MAX_OPS"):
        load_settings({"SYNC_MAX_OPS": "many"})


def test_unknown_lowercase_override_is_refused():
    with pytest.raises(KeyError):
        load_settings({}, {"sync_max_ops": 3})

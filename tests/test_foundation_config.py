from pathlib import Path

import pytest

from engine.config import load_config
from engine.errors import ConfigError


def test_default_config_has_the_sections_later_issues_fill() -> None:
    cfg = load_config(environ={})
    assert cfg.base_currency == "USD"
    for section in ("store", "feeds", "reconciliation", "market_risk", "pnl", "limits"):
        assert isinstance(cfg.section(section), dict)
    assert cfg.section("feeds")["sample_trades"]["table"] == "fo_trades"


def test_file_then_environment_override(tmp_path: Path) -> None:
    f = tmp_path / "my.toml"
    f.write_text('base_currency = "EUR"\n[store]\npath = "/x/file.duckdb"\n')
    cfg = load_config(f, environ={})
    assert cfg.base_currency == "EUR"
    assert cfg.store_path == Path("/x/file.duckdb")
    # the default's other keys survive the deep merge
    assert cfg.get("store.threads") == 2
    cfg = load_config(f, environ={"MIDOFFICE_STORE__PATH": "/y/env.duckdb", "MIDOFFICE_STORE__THREADS": "4"})
    assert cfg.store_path == Path("/y/env.duckdb")
    assert cfg.get("store.threads") == 4
    cfg = load_config(environ={"MIDOFFICE_CONFIG": str(f)})
    assert cfg.base_currency == "EUR"


def test_bad_configuration_is_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.toml", environ={})
    bad = tmp_path / "bad.toml"
    bad.write_text("base_currency = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad, environ={})
    with pytest.raises(ConfigError, match="ISO 4217"):
        load_config(environ={"MIDOFFICE_BASE_CURRENCY": "dollars"})

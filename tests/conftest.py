"""Shared fixtures: a fresh store configuration under tmp_path, and paths to shared samples."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.config import Config, load_config

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO.parent / "shared" / "samples"


def make_config(tmp_path: Path, **overrides: object) -> Config:
    """A configuration whose store, snapshot and workflow files live under ``tmp_path``."""
    base = {
        "store": {
            "path": str(tmp_path / "store.duckdb"),
            "published_path": str(tmp_path / "published.duckdb"),
            "workflow_path": str(tmp_path / "workflow.duckdb"),
            "lock_retry_seconds": 30,
        }
    }
    for k, v in overrides.items():
        base[k] = v  # type: ignore[assignment]
    return load_config(environ={}, overrides=base)


@pytest.fixture
def cfg(tmp_path: Path) -> Config:
    return make_config(tmp_path)


@pytest.fixture
def samples() -> Path:
    if not SAMPLES.is_dir():
        pytest.skip(f"shared samples not found at {SAMPLES}")
    return SAMPLES

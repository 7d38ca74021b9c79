"""Configuration: one TOML file, deep-merged overrides, ``MIDOFFICE_*`` environment variables.

Precedence (last wins): the packaged default ``engine/midoffice.toml``; the file given by
``--config`` or ``MIDOFFICE_CONFIG``; environment variables ``MIDOFFICE_<SECTION>__<KEY>``.
"""

from __future__ import annotations

import copy
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from engine.errors import ConfigError

ENV_PREFIX = "MIDOFFICE_"


def _deep_merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _parse_env_value(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, text in environ.items():
        if not name.startswith(ENV_PREFIX) or name == "MIDOFFICE_CONFIG":
            continue
        path = [p.lower() for p in name[len(ENV_PREFIX) :].split("__") if p]
        if not path:
            continue
        node = out
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = _parse_env_value(text)
    return out


def default_config_text() -> str:
    return resources.files("engine").joinpath("midoffice.toml").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Config:
    """The merged configuration. ``data`` is the raw dict; properties name the common keys."""

    data: dict[str, Any] = field(default_factory=dict)
    source: str = "default"

    def section(self, name: str) -> dict[str, Any]:
        value = self.data.get(name, {})
        if not isinstance(value, dict):
            raise ConfigError(f"configuration section [{name}] must be a table, found {value!r}")
        return value

    def get(self, dotted: str, default: Any = None) -> Any:
        node: Any = self.data
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    @property
    def base_currency(self) -> str:
        return str(self.data.get("base_currency", "USD"))

    @property
    def store_path(self) -> Path:
        return Path(self.get("store.path", "data/midoffice.duckdb"))

    @property
    def published_path(self) -> Path:
        return Path(self.get("store.published_path", "data/midoffice.published.duckdb"))

    @property
    def workflow_path(self) -> Path:
        return Path(self.get("store.workflow_path", "data/midoffice.workflow.duckdb"))

    def with_overrides(self, overrides: Mapping[str, Any]) -> Config:
        return Config(_deep_merge(self.data, overrides), self.source)


def load_config(
    path: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    """Load the default configuration, then the user's file, then the environment."""
    environ = os.environ if environ is None else environ
    data = tomllib.loads(default_config_text())
    source = "default"
    path = path or environ.get("MIDOFFICE_CONFIG")
    if path:
        p = Path(path)
        if not p.is_file():
            raise ConfigError(
                f"configuration file {p} does not exist",
                hint="pass an existing TOML file to --config",
            )
        try:
            user = tomllib.loads(p.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"configuration file {p} is not valid TOML: {exc}") from exc
        data = _deep_merge(data, user)
        source = str(p)
    data = _deep_merge(data, _env_overrides(environ))
    if overrides:
        data = _deep_merge(data, overrides)
    cfg = Config(data, source)
    _validate(cfg)
    return cfg


def _validate(cfg: Config) -> None:
    base = cfg.base_currency
    if not (isinstance(base, str) and len(base) == 3 and base.isalpha() and base.isupper()):
        raise ConfigError(f"base_currency must be an ISO 4217 code like 'USD', found {base!r}")
    feeds = cfg.data.get("feeds", {})
    if not isinstance(feeds, dict):
        raise ConfigError("[feeds] must be a table of feed definitions")
    for name, feed in feeds.items():
        if not isinstance(feed, dict) or "table" not in feed:
            raise ConfigError(f"feed [feeds.{name}] must name its canonical 'table'")

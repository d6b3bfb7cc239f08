"""The deployment files stay in step with the settings and keep their promises."""

from __future__ import annotations

import re
from pathlib import Path

from bot.settings import Settings

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def test_env_example_lists_every_setting_once() -> None:
    names = re.findall(r"^(CBEC_[A-Z_]+)=", (DEPLOY / ".env.example").read_text(), re.MULTILINE)
    assert sorted(names) == sorted(f"CBEC_{field.upper()}" for field in Settings.model_fields)


def test_env_example_values_are_valid_settings(monkeypatch) -> None:
    for line in (DEPLOY / ".env.example").read_text().splitlines():
        if line.startswith("CBEC_"):
            name, _, value = line.partition("=")
            if value:
                monkeypatch.setenv(name, value)
    Settings()  # raises on any value the app would refuse


def test_dockerfile_is_slim_non_root_with_healthcheck() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "FROM python:3.11-slim" in dockerfile
    assert re.search(r"^USER cbec$", dockerfile, re.MULTILINE)
    assert "HEALTHCHECK" in dockerfile and "/healthz" in dockerfile


def test_compose_keeps_the_database_on_a_volume() -> None:
    compose = (DEPLOY / "docker-compose.example.yml").read_text()
    assert "cbec-data:/data" in compose and "CBEC_DB: /data/cbec.db" in compose


def test_no_real_config_is_committed() -> None:
    assert not (DEPLOY / ".env").exists()
    assert not (DEPLOY / "docker-compose.yml").exists()


def test_replicas_compose_runs_two_replicas_on_one_postgresql_behind_nginx() -> None:
    import yaml

    compose = yaml.safe_load((DEPLOY / "docker-compose.replicas.example.yml").read_text())
    services = compose["services"]
    replicas = [name for name, service in services.items() if "build" in service]
    assert len(replicas) == 2 and services["postgres"]["image"].startswith("postgres:")
    for name in replicas:
        environment = services[name]["environment"]
        assert environment["CBEC_DB"].startswith("postgresql://cbec:${POSTGRES_PASSWORD")
        assert environment["CBEC_DB"].endswith("@postgres:5432/cbec")
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
    nginx = (DEPLOY / "nginx.replicas.example.conf").read_text()
    for name in replicas:
        assert f"server {name}:8000" in nginx and f"server {name}:8001" in nginx  # web and Telegram webhook
    assert "./nginx.replicas.example.conf:/etc/nginx/conf.d/default.conf:ro" in services["nginx"]["volumes"]

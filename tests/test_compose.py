"""Docker cannot run here, so the compose file is checked against the code instead."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from store.settings import ENV_NAMES, KNOWN_PUBLIC_SECRET_KEYS, secret_key_problem

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_TEXT = (ROOT / "docker-compose.yml").read_text()
COMPOSE = yaml.safe_load(COMPOSE_TEXT)
SERVICES = COMPOSE["services"]
APP_SERVICES = ("web", "worker", "beat", "migrate")


def interpolate(value: str, environ: dict[str, str]) -> str:
    """Compose's `${NAME}`, `${NAME:-default}` and `${NAME:?message}` (the forms this file may use)."""
    def one(match: re.Match) -> str:
        name, operator, argument = match.group(1), match.group(2), match.group(3)
        if environ.get(name):
            return environ[name]
        if operator == ":?":
            raise ValueError(f"required variable {name} is missing a value: {argument}")
        return argument if operator == ":-" else ""

    return re.sub(r"\$\{(\w+)(?:(:[-?])([^}]*))?\}", one, value)


def test_compose_has_every_service():
    assert {"opensearch", "redis", "postgres", "web", "worker", "beat"} <= set(SERVICES)


def test_app_services_get_every_setting_the_code_reads():
    for name in APP_SERVICES:
        assert set(ENV_NAMES) <= set(SERVICES[name]["environment"]), name


def test_secret_key_is_required_and_has_no_default():
    """A default here would be a public key that signs anyone's session (compose refuses to start)."""
    for name in APP_SERVICES:
        environment = SERVICES[name]["environment"]
        assert environment["CATALOG_ENV"] == "production", name
        assert re.fullmatch(r"\$\{SECRET_KEY:\?[^}]+\}", environment["SECRET_KEY"]), name
        with pytest.raises(ValueError, match=r"SECRET_KEY.*secrets\.token_hex\(32\)"):
            interpolate(environment["SECRET_KEY"], {})
        key = "0123456789abcdef" * 4
        assert secret_key_problem(interpolate(environment["SECRET_KEY"], {"SECRET_KEY": key}),
                                  environment["CATALOG_ENV"]) is None
    for public in KNOWN_PUBLIC_SECRET_KEYS:
        assert f":-{public}" not in COMPOSE_TEXT and f": {public}" not in COMPOSE_TEXT


def test_app_services_wait_for_healthy_dependencies():
    for name in ("opensearch", "redis", "postgres", "web"):
        assert "healthcheck" in SERVICES[name], name
    for dep, cond in SERVICES["migrate"]["depends_on"].items():
        assert cond["condition"] == "service_healthy", dep


def test_commands_point_at_real_entry_points():
    import importlib

    web = " ".join(SERVICES["web"]["command"])
    module, attr = re.search(r"(\S+):(\w+)$", web).groups()
    assert hasattr(importlib.import_module(module), attr)
    for name in ("worker", "beat"):
        command = SERVICES[name]["command"]
        module, attr = command[command.index("-A") + 1].split(":")
        assert hasattr(importlib.import_module(module), attr)
    for sub in re.findall(r"catalog ([a-z]+ [a-z]+)", " ".join(SERVICES["migrate"]["command"])):
        group, command = sub.split()
        from cli import main

        assert command in main.commands[group].commands, sub


def test_opensearch_image_matches_the_local_node_major_version():
    image = SERVICES["opensearch"]["image"]
    pom = (ROOT / "scripts" / "opensearch-node" / "pom.xml").read_text()
    local = re.search(r"<opensearch.version>([\d.]+)</opensearch.version>", pom).group(1)
    assert image.split(":")[1].split(".")[:2] == local.split(".")[:2]
    env = SERVICES["opensearch"]["environment"]
    assert env["DISABLE_SECURITY_PLUGIN"] == "true" and "-Xmx" in env["OPENSEARCH_JAVA_OPTS"]


def test_the_image_copies_every_package_the_project_installs():
    """A package left out of the Dockerfile installs nothing and breaks `catalog` in the image."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    copied = set(re.findall(r"^COPY (\S+) \1$", (ROOT / "Dockerfile").read_text(), flags=re.M))
    assert packages <= copied, f"the Dockerfile does not COPY {sorted(packages - copied)}"

"""Docker cannot run here, so the compose file is checked against the code instead."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from store.settings import ENV_NAMES

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_compose_has_every_service():
    assert {"opensearch", "redis", "postgres", "web", "worker", "beat"} <= set(SERVICES)


def test_app_services_get_every_setting_the_code_reads():
    for name in ("web", "worker", "beat", "migrate"):
        assert set(ENV_NAMES) <= set(SERVICES[name]["environment"]), name


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

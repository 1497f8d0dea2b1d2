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


def test_every_setting_the_code_reads_is_listed():
    """What store/settings.py reads from the environment is in ENV_NAMES, so the test above keeps
    compose complete; apart from paths and timings with safe defaults, and the workers' own
    metrics endpoint (set on the worker services only)."""
    source = (ROOT / "store" / "settings.py").read_text()
    read = set(re.findall(r'(?:environ\.get|_from_env|_flag_setting)\("([A-Z_]+)"', source))
    not_for_every_service = {"INSTANCE_DIR", "OUTBOX_LEASE_SECONDS", "REBUILD_LOCK_SECONDS",
                  "WORKER_METRICS_ADDRESS", "WORKER_METRICS_PORT"}
    assert read - not_for_every_service <= set(ENV_NAMES)


def test_mail_goes_to_the_local_server_unless_told_otherwise():
    environment = SERVICES["web"]["environment"]
    assert interpolate(environment["MAIL_SERVER"], {}) == "mail"
    assert interpolate(environment["MAIL_PORT"], {}) in SERVICES["mail"]["command"]
    assert interpolate(environment["MAIL_SERVER"], {"MAIL_SERVER": "smtp.example.org"}) == "smtp.example.org"
    assert SERVICES["mail"]["command"][:3] == ["python", "-m", "catalog.mail.local_server"]
    assert "0.0.0.0" in SERVICES["mail"]["command"]


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


# --- the cluster profile: `docker compose --profile cluster up --scale worker=3` -------------------

def _opensearch_nodes(profile: str | None) -> dict[str, dict]:
    """The OpenSearch services that `docker compose [--profile PROFILE] up` starts."""
    return {name: service for name, service in SERVICES.items()
            if service.get("image", "").startswith("opensearchproject/opensearch:")
            and (not service.get("profiles") or profile in service["profiles"])}


def test_the_cluster_profile_runs_three_opensearch_nodes_in_one_cluster():
    default, cluster = _opensearch_nodes(None), _opensearch_nodes("cluster")
    assert list(default) == ["opensearch"], "without the profile, one node"
    assert len(cluster) == 3
    names = {service["environment"]["node.name"] for service in cluster.values()}
    assert names == set(cluster), "node.name is the service name, which is also its host name"
    for name, service in cluster.items():
        env = service["environment"]
        assert env["cluster.name"] == SERVICES["opensearch"]["environment"]["cluster.name"], name
        assert "discovery.type" not in env, f"{name}: a single-node discovery cannot join a cluster"
        assert set(env["discovery.seed_hosts"].split(",")) == set(cluster), name
        # Only the node that is always there bootstraps: without the profile it forms a cluster of one.
        assert env["cluster.initial_cluster_manager_nodes"] == "opensearch", name
        assert service["image"] == SERVICES["opensearch"]["image"], name
        assert "healthcheck" in service, name
        heap = re.search(r"-Xmx(\d+)m", env["OPENSEARCH_JAVA_OPTS"]).group(1)
        assert 256 <= int(heap) <= 1024, name
    volumes = [service["volumes"][0].split(":")[0] for service in cluster.values()]
    assert len(set(volumes)) == 3 and set(volumes) <= set(COMPOSE["volumes"]), "each node keeps its own data"


def test_the_documented_cluster_settings_are_ones_the_app_accepts():
    """The header's command gives the app every node and a replica; the settings parse them."""
    from store.settings import Settings

    documented = dict(re.findall(r"(OPENSEARCH_URL|CREDENTIALS_REPLICAS|VOCABULARY_REPLICAS)=(\S+)", COMPOSE_TEXT))
    environ = {name: interpolate(str(value), documented) for name, value in SERVICES["web"]["environment"].items()
               if name != "SECRET_KEY"}
    import os
    from unittest import mock

    with mock.patch.dict(os.environ, environ, clear=False):
        settings = Settings.from_env()
    hosts = [re.fullmatch(r"http://([\w-]+):9200", url).group(1) for url in settings.opensearch_hosts]
    assert set(hosts) == set(_opensearch_nodes("cluster"))
    assert settings.index_shape("credentials") == (1, 1) and settings.index_shape("vocabulary") == (1, 1)
    with mock.patch.dict(os.environ, {name: interpolate(str(value), {}) for name, value in
                                      SERVICES["web"]["environment"].items() if name != "SECRET_KEY"}):
        default = Settings.from_env()
    assert default.opensearch_hosts == ["http://opensearch:9200"] and default.index_shape("credentials") == (1, 0)


def test_postgresql_is_the_database():
    url = SERVICES["web"]["environment"]["DATABASE_URL"]
    assert url.startswith("postgresql+psycopg://") and "@postgres:" in url
    assert SERVICES["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_workers_serve_both_queues_and_the_relay_worker_scales():
    from workers.app import queue_names

    queues = queue_names(SERVICES["worker"]["environment"]["INDEX_PREFIX"])
    served = {}
    for name in ("worker", "rebuild-worker"):
        command = SERVICES[name]["command"]
        served[name] = command[command.index("-Q") + 1]
    assert served == {"worker": queues["relay"], "rebuild-worker": queues["rebuild"]}
    # `--scale worker=3` needs a service without a fixed container name or host port.
    assert "container_name" not in SERVICES["worker"] and "ports" not in SERVICES["worker"]

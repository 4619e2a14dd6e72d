"""The Kubernetes manifests in deploy/k8s/: valid against the Kubernetes 1.28 schemas
(kubernetes-validate ships them, so this runs offline), and the topology's rules."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, Iterator, List

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
KUBERNETES_VERSION = "1.28.0"


def manifests() -> List[Dict[str, Any]]:
    documents = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for document in yaml.safe_load_all(path.read_text()):
            if document:
                document["__file__"] = path.name
                documents.append(document)
    return documents


def of_kind(kind: str) -> List[Dict[str, Any]]:
    return [d for d in manifests() if d["kind"] == kind]


def containers() -> Iterator[tuple]:
    for document in manifests():
        spec = document.get("spec", {})
        pod = spec.get("template", {}).get("spec") if "template" in spec else None
        if pod:
            for container in pod["containers"]:
                yield document, pod, container


@pytest.mark.parametrize("document", manifests(),
                         ids=lambda d: f"{d['__file__']}:{d['kind']}/{d['metadata']['name']}")
def test_manifest_is_valid_against_the_kubernetes_schema(document: Dict[str, Any]) -> None:
    body = {k: v for k, v in document.items() if k != "__file__"}
    assert kubernetes_validate.validate(body, KUBERNETES_VERSION, strict=True) == "1.28"


def test_a_broken_manifest_is_refused() -> None:
    broken = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
              "spec": {"replicas": "two", "selector": {}, "template": {}}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_kustomization_lists_every_manifest() -> None:
    listed = yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"]
    files = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert sorted(listed) == sorted(files)


def test_topology() -> None:
    deployments = {d["metadata"]["name"]: d for d in of_kind("Deployment")}
    assert {"rasa", "actions", "web"} <= set(deployments)
    services = {d["metadata"]["name"]: d for d in of_kind("Service")}
    for name in ("rasa", "actions", "web"):
        labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert services[name]["spec"]["selector"].items() <= labels.items()
        assert deployments[name]["spec"]["selector"]["matchLabels"].items() <= labels.items()
    # PostgreSQL and Redis are external.
    assert services["postgres"]["spec"]["type"] == "ExternalName"
    assert services["redis"]["spec"]["type"] == "ExternalName"
    autoscaled = {h["spec"]["scaleTargetRef"]["name"] for h in of_kind("HorizontalPodAutoscaler")}
    assert {"rasa", "actions"} <= autoscaled
    for hpa in of_kind("HorizontalPodAutoscaler"):
        assert hpa["spec"]["minReplicas"] >= 2
    endpoints = yaml.safe_load(of_kind("ConfigMap")[0]["data"]["endpoints.yml"])
    assert endpoints["lock_store"]["type"] == "bot.cluster.lock_store.AtomicRedisLockStore"
    tracker_store = "bot.storage.tracker_store.ForgetfulSQLTrackerStore"
    assert endpoints["tracker_store"]["type"] == tracker_store
    assert endpoints["tracker_store"]["password"] == "${DATABASE_PASSWORD}"


def test_action_servers_require_the_shared_token() -> None:
    """Rasa sends ACTIONS_TOKEN; the action servers run the token-checking wrapper."""
    endpoints = yaml.safe_load(of_kind("ConfigMap")[0]["data"]["endpoints.yml"])
    headers = endpoints["action_endpoint"]["headers"]
    assert headers == {"Authorization": "Bearer ${ACTIONS_TOKEN}"}
    (secret,) = of_kind("Secret")
    assert "ACTIONS_TOKEN" in secret["stringData"]
    deployments = {d["metadata"]["name"]: d for d in of_kind("Deployment")}
    (container,) = deployments["actions"]["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e for e in container["env"]}
    assert env["ACTIONS_TOKEN"]["valueFrom"]["secretKeyRef"]["key"] == "ACTIONS_TOKEN"
    rasa_env = deployments["rasa"]["spec"]["template"]["spec"]["containers"][0]
    assert {"secretRef": {"name": "heavylegs-secrets"}} in rasa_env["envFrom"]
    dockerfile = (ROOT / "deploy/docker/actions.Dockerfile").read_text()
    assert '"bot.security.action_server"' in dockerfile and '"rasa_sdk"' not in dockerfile
    local = yaml.safe_load((ROOT / "deploy/local/endpoints.yml").read_text())
    assert local["action_endpoint"]["headers"] == {"Authorization": "Bearer ${ACTIONS_TOKEN}"}
    assert "-m bot.security.action_server" in (ROOT / "scripts/cluster_up.sh").read_text()


def test_every_long_running_container_has_probes_limits_and_runs_locked_down() -> None:
    for document, pod, container in containers():
        where = f"{document['kind']}/{document['metadata']['name']}"
        if document["kind"] != "Job":
            assert "readinessProbe" in container and "livenessProbe" in container, where
        assert container["resources"]["limits"] and container["resources"]["requests"], where
        assert pod["securityContext"]["runAsNonRoot"] is True, where
        assert container["securityContext"]["allowPrivilegeEscalation"] is False, where
        assert container["securityContext"]["capabilities"]["drop"] == ["ALL"], where
        assert pod["automountServiceAccountToken"] is False, where


def test_ingress_is_sticky_and_routes_neither_set_webhook_nor_the_api() -> None:
    (ingress,) = of_kind("Ingress")
    annotations = ingress["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert annotations["nginx.ingress.kubernetes.io/session-cookie-name"]
    paths = [(p["path"], p["pathType"], p["backend"]["service"]["name"])
             for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]]
    assert ("/socket.io/", "Prefix", "rasa") in paths
    for path, path_type, _ in paths:
        # No prefix that would also match /webhooks/telegram/set_webhook or the HTTP API.
        if path_type == "Prefix":
            assert path in ("/socket.io/", "/vendor/"), path
        for hidden in ("/webhooks/telegram/set_webhook", "/conversations/x/tracker",
                       "/model/parse", "/status"):
            if path_type == "Prefix":
                assert not hidden.startswith(path), (path, hidden)
            else:
                assert hidden != path, (path, hidden)


def test_no_unsafe_defaults_and_only_placeholder_secrets() -> None:
    text = "\n".join(p.read_text() for p in K8S.glob("*.yaml"))
    text += (ROOT / "deploy/docker/rasa-entrypoint.sh").read_text()
    assert "rasaToken" not in text.replace("|rasaToken|", "")
    assert "UNSET" not in text
    assert not re.search(r"--cors\s+['\"]?\*", text)
    (secret,) = of_kind("Secret")
    assert "data" not in secret  # nothing base64-encoded could hide a real value
    for key, value in secret["stringData"].items():
        assert value == "" or "__set-me__" in value, key
    config = of_kind("ConfigMap")[0]["data"]
    assert config["WEB_ORIGIN"].startswith("https://") and "*" not in config["WEB_ORIGIN"]


def test_rasa_entrypoint_refuses_placeholders(tmp_path: Path) -> None:
    import subprocess

    script = ROOT / "deploy/docker/rasa-entrypoint.sh"
    for token, origin in (("", "https://a.example"), ("__set-me__", "https://a.example"),
                          ("rasaToken", "https://a.example"), ("0123456789abcdef", "*")):
        result = subprocess.run(["sh", str(script)], capture_output=True, text=True,
                                env={"RASA_AUTH_TOKEN": token, "WEB_ORIGIN": origin,
                                     "PATH": "/usr/bin:/bin"})
        assert result.returncode == 1
        assert "must be" in result.stderr or "placeholder" in result.stderr


def test_dockerfiles_copy_only_what_exists() -> None:
    for dockerfile in (ROOT / "deploy/docker").glob("*.Dockerfile"):
        for line in dockerfile.read_text().splitlines():
            if line.startswith("COPY ") and "--from=" not in line:
                for source in line.split()[1:-1]:
                    assert (ROOT / source).exists(), f"{dockerfile.name}: {source}"
        assert "USER 10001" in dockerfile.read_text()
        ignore = Path(str(dockerfile) + ".dockerignore")
        assert ignore.exists() and ignore.read_text().startswith("**\n")

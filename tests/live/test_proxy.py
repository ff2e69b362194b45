"""docs/DEPLOY.md's nginx configuration (docs/nginx-monitor.conf), run with the real nginx in front of the
real server (MONITOR_PROXY_HOPS=1): pages, the API and the live websocket pass through it. Only the TLS
lines are left out and the ports are free loopback ones."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

from tests.helpers import ROOT, Dashboard, LiveApi, call, free_port, server_on, wait_until

CONF = ROOT / "docs" / "nginx-monitor.conf"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def test_the_deployment_guide_shows_the_configuration_the_test_runs():
    assert CONF.read_text() in (ROOT / "docs" / "DEPLOY.md").read_text()


def nginx_conf(directory: Path, listen: int, upstream: int) -> Path:
    site = CONF.read_text().replace("server 127.0.0.1:5000;", f"server 127.0.0.1:{upstream};")
    site = site.replace("listen 443 ssl;", f"listen 127.0.0.1:{listen};")
    site = "\n".join(line for line in site.splitlines() if not line.strip().startswith("ssl_"))
    temp = {name: directory / name for name in ("client", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir()
    conf = directory / "nginx.conf"
    conf.write_text(f"""
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {temp['client']};
    proxy_temp_path {temp['proxy']};
    fastcgi_temp_path {temp['fastcgi']};
    uwsgi_temp_path {temp['uwsgi']};
    scgi_temp_path {temp['scgi']};
{site}
}}
""")
    return conf


@pytest.fixture(scope="module")
def proxied(tmp_path_factory, template_db):
    if NGINX is None:
        if os.environ.get("CI") == "true":
            pytest.fail("nginx is missing (.ci/run installs it with apt-get)")
        pytest.skip("nginx is not installed")
    directory = tmp_path_factory.mktemp("proxy")
    listen = free_port()
    server = server_on(template_db, directory, {"MONITOR_PROXY_HOPS": "1"})
    server.env["MONITOR_ALLOWED_ORIGINS"] = f"http://127.0.0.1:{listen}"
    server.start()
    conf = nginx_conf(directory, listen, server.port)
    nginx = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(directory), "-g", "daemon off;"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    front = server_on(template_db, tmp_path_factory.mktemp("front"))  # the same server, as reached through nginx
    front.port, front.url, front.db, front.tokens, front.log = listen, f"http://127.0.0.1:{listen}", server.db, \
        server.tokens, server.log
    try:
        assert wait_until(lambda: reachable(front.url), seconds=10), (directory / "error.log").read_text()
        yield front
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
        server.stop()


def reachable(url: str) -> bool:
    try:
        return requests.get(url + "/healthz", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def test_pages_the_api_and_the_live_websocket_pass_through_the_proxy(proxied):
    assert requests.get(proxied.url + "/login", timeout=5).status_code == 200
    session_id = LiveApi(proxied).session()["id"]
    dashboard = Dashboard(proxied)
    try:
        saved = call(proxied, "POST", f"/api/sessions/{session_id}/vitals", {"hr": 81})
        assert wait_until(lambda: saved["seq"] in dashboard.seqs(), seconds=3)
    finally:
        dashboard.close()

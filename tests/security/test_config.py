"""The production server refuses to start with an unsafe configuration, and says what to change."""
from __future__ import annotations

import subprocess

import pytest

from monitor.config import Config, from_env, problems_for_production
from tests.helpers import BIN, ROOT, free_port

GOOD_SECRET = "Zq7-vR2pL9xW4mK8nB3cJ6hT1yF5dG0sA_eU"


def test_a_sound_configuration_has_no_problems():
    assert problems_for_production(Config(secret_key=GOOD_SECRET)) == []


@pytest.mark.parametrize("changes, message", [
    ({"debug": True}, "debug is on: unset MONITOR_DEBUG"),
    ({"secret_key": "short-secret"}, "the secret key is weak: set MONITOR_SECRET_KEY to at least 32 random "
                                     "characters, or unset it to have one generated beside the database"),
    ({"secret_key": "ab" * 30}, "the secret key is weak: set MONITOR_SECRET_KEY to at least 32 random "
                                "characters, or unset it to have one generated beside the database"),
    ({"allowed_origins": ("https://clinic.example", "*")},
     "MONITOR_ALLOWED_ORIGINS contains '*': list the clinic's own origins"),
    ({"synchronous": "NORMAL"}, "MONITOR_SYNCHRONOUS is NORMAL: it must be FULL"),
])
def test_each_unsafe_setting_is_named_with_what_to_change(changes, message):
    assert problems_for_production(Config(secret_key=GOOD_SECRET).with_overrides(**changes)) == [message]


def serve(tmp_path, **env) -> subprocess.CompletedProcess:
    port = free_port()
    environment = {"PATH": "/usr/bin:/bin", "MONITOR_DB": str(tmp_path / "sessions.db"),
                   "MONITOR_PORT": str(port), "MONITOR_SECRET_KEY": GOOD_SECRET} | env
    return subprocess.run([str(BIN / "monitor"), "serve"], env=environment, cwd=ROOT, capture_output=True,
                          text=True, timeout=30)


@pytest.mark.parametrize("env, says", [
    ({"MONITOR_DEBUG": "1"}, "debug is on: unset MONITOR_DEBUG"),
    ({"MONITOR_SECRET_KEY": "changeme"}, "the secret key is weak: set MONITOR_SECRET_KEY to at least 32"),
    ({"MONITOR_ALLOWED_ORIGINS": "*"}, "MONITOR_ALLOWED_ORIGINS contains '*': list the clinic's own origins"),
    ({"MONITOR_SYNCHRONOUS": "off"}, "MONITOR_SYNCHRONOUS is OFF: it must be FULL"),
])
def test_monitor_serve_refuses_to_start_and_says_why(tmp_path, env, says):
    result = serve(tmp_path, **env)
    assert result.returncode == 1
    assert "refusing to start:" in result.stderr
    assert says in result.stderr
    assert not (tmp_path / "sessions.db").exists()


def test_monitor_serve_lists_every_problem_at_once(tmp_path):
    result = serve(tmp_path, MONITOR_DEBUG="1", MONITOR_ALLOWED_ORIGINS="*", MONITOR_SYNCHRONOUS="NORMAL")
    assert result.returncode == 1
    assert result.stderr.count("\n  - ") == 3


def test_login_limits_and_timeouts_come_from_the_environment(tmp_path):
    cfg = from_env({"MONITOR_DB": str(tmp_path / "s.db"), "MONITOR_IDLE_TIMEOUT_MINUTES": "5",
                    "MONITOR_ABSOLUTE_TIMEOUT_HOURS": "8", "MONITOR_LOGIN_MAX_FAILURES": "3",
                    "MONITOR_LOGIN_LOCKOUT_MINUTES": "30", "MONITOR_ALLOWED_ORIGINS": "https://a.example, https://b.example"})
    assert (cfg.idle_timeout_minutes, cfg.absolute_timeout_hours) == (5, 8)
    assert (cfg.login_max_failures, cfg.login_lockout_seconds) == (3, 1800)
    assert cfg.allowed_origins == ("https://a.example", "https://b.example")


def test_the_defaults_are_fifteen_minutes_idle_and_twelve_hours_absolute(tmp_path):
    cfg = from_env({"MONITOR_DB": str(tmp_path / "s.db")})
    assert (cfg.idle_timeout_minutes, cfg.absolute_timeout_hours) == (15, 12)
    assert (cfg.login_max_failures, cfg.login_lockout_seconds) == (5, 900)
    assert "*" not in cfg.allowed_origins
    assert problems_for_production(cfg) == []

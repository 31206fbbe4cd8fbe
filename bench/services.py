"""Helpers shared by the benchmarks: a throwaway PostgreSQL database, free ports, waiting for a server."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


@contextmanager
def scratch_database(name: str) -> Iterator[str]:
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    from core import migrate

    migrate.upgrade(url)
    try:
        yield url
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, deadline_s: float = 30) -> None:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answered on port {port} within {deadline_s} s")


def env_with(**values: str) -> dict[str, str]:
    """This environment with `values`; the per-IP limits counted in Redis, as the deployment does
    (docker-compose.yml): the in-memory store starts an expiry thread per request and would measure that."""
    env = dict(os.environ)
    env["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:6379/12"
    env.update(values)
    return env

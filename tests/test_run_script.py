"""`make run` as a person meets it: the banner appears once the server answers, and Ctrl-C ends it quietly.

The script is run through make, in a session of its own, and interrupted the way a terminal does it: SIGINT
to the whole foreground process group (make, the script and every process it started).
"""

from __future__ import annotations

import os
import queue
import shutil
import signal
import socket
import subprocess
import threading
import time

import httpx
import pytest

from tests.celery_workers import ROOT

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed"),
]
READY = "CM Hub is ready on "


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_make_run_says_ready_when_it_is_and_ends_without_an_error_on_ctrl_c(tmp_path):
    web, graph, x, linkedin, mastodon, bluesky, jetstream, youtube, threads, google = (
        _free_port() for _ in range(10)
    )
    makefile = tmp_path / "Makefile"
    makefile.write_text(f"run:\n\t{ROOT / 'scripts' / 'run'}\n")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")  # the embedded default, like make run
    }
    env |= {
        "CMHUB_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_DEBUG": "1",
        "CMHUB_DEMO": "1",
        "PORT": str(web),
        "GRAPH_PORT": str(graph),
        "X_PORT": str(x),
        "LINKEDIN_PORT": str(linkedin),
        "MASTODON_PORT": str(mastodon),
        "BLUESKY_PORT": str(bluesky),
        "JETSTREAM_PORT": str(jetstream),
        "YOUTUBE_PORT": str(youtube),
        "THREADS_PORT": str(threads),
        "GOOGLE_BUSINESS_PORT": str(google),
    }
    run = subprocess.Popen(
        ["make", "--no-print-directory", "-f", str(makefile), "run"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in run.stdout], daemon=True).start()
    output: list[str] = []
    try:
        deadline = time.monotonic() + 180
        while not any(READY in line for line in output):
            assert time.monotonic() < deadline and run.poll() is None, "".join(output)
            try:
                output.append(lines.get(timeout=1))
            except queue.Empty:
                continue
        # The moment the banner says so, the site answers (HEAD, as a monitor would ask) and so do the fakes.
        assert httpx.head(f"http://127.0.0.1:{web}/").status_code == 302, "".join(output)
        assert all(_listening(port) for port in (graph, x, linkedin, mastodon, bluesky, jetstream, google))

        os.killpg(run.pid, signal.SIGINT)  # Ctrl-C
        run.wait(timeout=60)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
    time.sleep(0.5)  # the reader thread drains what is left
    while not lines.empty():
        output.append(lines.get())
    text = "".join(output)
    assert "make: ***" not in text, text  # no "[Makefile: run] Error 130"
    assert f"Bluesky  http://127.0.0.1:{bluesky}" in text, text  # the banner lists it
    assert not any(_listening(port) for port in (web, graph, x, linkedin, mastodon, bluesky, jetstream)), text

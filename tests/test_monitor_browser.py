"""OptimizationMonitor in a real browser: JupyterLab served on localhost, headless Chromium.

Run with ``make test-browser`` (part of ``make test``), which installs the ``browser`` extra
(JupyterLab, Playwright for Python) and the Debian ``chromium`` package when it is missing.
Playwright drives that system executable; it downloads no browser of its own.

The test opens a notebook whose cell runs an optimisation with a monitor, runs the cell, waits
for the widget's image, and takes two screenshots of it a moment apart. Both are saved under
``target/browser-artifacts/``; they must differ (the image is updated in place) and show a
visible, non-blank frame. Every wait has a timeout and the server is killed at the end.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytestmark = [pytest.mark.browser, pytest.mark.timeout(170)]

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "target" / "browser-artifacts"
CHROMIUM = os.environ.get("OINEUS_DIFF_CHROMIUM", "/usr/bin/chromium")
SERVER_START_TIMEOUT_S = 60
IMAGE_TIMEOUT_MS = 90_000

NOTEBOOK_CELL = """\
import time
import torch, oineus_diff as od
torch.manual_seed(0)
pts = torch.randn(60, 2, dtype=torch.float64).requires_grad_(True)
opt = torch.optim.SGD([pts], lr=0.01)
mon = od.OptimizationMonitor(dims=(1,), min_interval=0.1, figsize=(9, 3))
for step in range(600):
    opt.zero_grad()
    dgms = od.persistence_diagram(od.vr_filtration(pts, max_dim=2))
    dgms[1].retain_grad()
    loss = -(dgms[1][:, 1] - dgms[1][:, 0]).sum()
    loss.backward()
    mon.update(step, loss, diagrams=dgms, data=pts, data_grad=pts.grad)
    opt.step()
    time.sleep(0.03)
mon.close()
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_notebook(path: Path) -> None:
    notebook = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "metadata": {},
                "outputs": [],
                "source": NOTEBOOK_CELL,
            }
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(notebook))


@pytest.fixture
def jupyterlab(tmp_path):
    """A JupyterLab server on a free localhost port with a random token; killed afterwards."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test-browser`, which installs the chromium package")
    write_notebook(tmp_path / "monitor.ipynb")
    port, token = free_port(), secrets.token_hex(16)
    log = open(tmp_path / "jupyterlab.log", "wb")  # noqa: SIM115 - closed below
    env = dict(os.environ, PYTHONPATH=str(ROOT), JUPYTER_CONFIG_DIR=str(tmp_path / "config"))
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--allow-root",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={tmp_path}",
            "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while True:
            try:
                url = f"http://127.0.0.1:{port}/api/status?token={token}"
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"JupyterLab did not start:\n{(tmp_path / 'jupyterlab.log').read_text()[-3000:]}")
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/lab/tree/monitor.ipynb?token={token}"
    finally:
        # The kernel runs in the server's session: end the whole process group.
        try:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(server.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            server.wait(timeout=10)
        log.close()


def wait_for_idle_kernel(notebook_url: str, timeout_s: float = 60.0) -> None:
    """Poll the server's session list until the notebook's kernel reports idle."""
    base, token = notebook_url.split("/lab/")[0], notebook_url.split("token=")[1]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/api/sessions?token={token}", timeout=2) as response:
                sessions = json.loads(response.read())
            if any(s.get("kernel", {}).get("execution_state") == "idle" for s in sessions):
                return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail("the notebook's kernel did not become idle")


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def test_monitor_image_is_visible_and_updates_in_the_browser(jupyterlab):
    from playwright.sync_api import sync_playwright

    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    ARTIFACTS.mkdir(parents=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            timeout=60_000,
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(60_000)
            page.goto(jupyterlab, wait_until="domcontentloaded")
            editor = page.locator(".jp-Notebook .jp-Cell .jp-InputArea-editor").first
            editor.wait_for(state="visible")
            # Wait for the kernel before running, so the key press is not lost.
            wait_for_idle_kernel(jupyterlab)
            editor.click()
            page.keyboard.press("Shift+Enter")
            image = page.locator(".jp-OutputArea-output img").first
            image.wait_for(state="visible", timeout=IMAGE_TIMEOUT_MS)
            page.wait_for_function(
                "img => img.complete && img.naturalWidth > 0", arg=image.element_handle(), timeout=30_000
            )
            first = image.screenshot(path=str(ARTIFACTS / "monitor-1.png"))
            time.sleep(2.0)
            second = image.screenshot(path=str(ARTIFACTS / "monitor-2.png"))
            page.screenshot(path=str(ARTIFACTS / "page.png"))
            box = image.bounding_box()
            n_images = page.locator(".jp-OutputArea-output img").count()
        finally:
            browser.close()
    assert box is not None and box["width"] >= 300 and box["height"] >= 100
    assert n_images == 1
    a, b = pixels(first), pixels(second)
    assert a.shape == b.shape
    # A real frame, not a blank box: many distinct colours.
    assert len(np.unique(a.reshape(-1, 3), axis=0)) > 20
    assert (a != b).any(axis=2).mean() > 1e-3

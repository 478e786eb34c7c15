"""A real headless Chromium for the tests of HTML pages (from the system packages; .ci/run installs it)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def chromium() -> str:
    """The path of a Chromium; skips the test without one (fails under CI=true: .ci/run installs it)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true: .ci/run installs chromium; it is not on PATH")
        pytest.skip("no chromium on PATH (apt-get install chromium)")
    return found


def run_chromium(browser: str, page: Path, *args: str, width: int = 1200, height: int = 3000) -> subprocess.CompletedProcess[str]:
    """Open ``page`` in a headless Chromium that can reach no network, with ``args`` (``--dump-dom``, ``--screenshot=…``)."""
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        f"--window-size={width},{height}",
        "--proxy-server=http://127.0.0.1:9",  # a closed port: nothing reaches the network whatever asks
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--disable-domain-reliability",
        "--disable-client-side-phishing-detection",
        "--disable-breakpad",
        "--no-pings",
        "--metrics-recording-only",
        "--disable-field-trial-config",
        "--disable-features=NetworkTimeServiceQuerying,OptimizationHints,Translate,MediaRouter,DialMediaRouteProvider,"
        "AutofillServerCommunication,CertificateTransparencyComponentUpdater,SafeBrowsing,InterestFeedContentSuggestions",
        f"--user-data-dir={page.parent / 'chromium-profile'}",
        "--virtual-time-budget=5000",
        *args,
        page.as_uri(),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


GUARD = """<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data: blob:; font-src data:">
<script>
window.__blocked = [];
document.addEventListener("securitypolicyviolation", function (e) { window.__blocked.push(e.blockedURI + " (" + e.violatedDirective + ")"); });
</script>
"""

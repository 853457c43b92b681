"""Load a local page in Debian's headless chromium (installed by `make test`) and report what a person would see
go wrong: console errors, uncaught exceptions, failed loads, network requests; plus the DOM after the page's
scripts ran and a full-page screenshot.

Chromium is driven over the DevTools protocol through `--remote-debugging-pipe` (JSON messages on file
descriptors 3 and 4), so no driver package and no browser download is needed. The browser's own background
requests (Google update, time and account services) are not the page's and are left out.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

BROWSER_HOSTS = ("google.com", "googleapis.com", "gvt1.com", "gstatic.com")  # chromium's own, not the page's
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run", "--mute-audio",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-default-apps",
         "--enable-unsafe-swiftshader"]


@dataclass
class Loaded:
    dom: str  # document.documentElement.outerHTML after load
    errors: list[str] = field(default_factory=list)  # console.error, uncaught exceptions, error-level log entries
    warnings: list[str] = field(default_factory=list)  # console.warn and warning-level log entries (not failures)
    requests: list[str] = field(default_factory=list)  # http(s) URLs the page asked for


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "Debian's chromium is not installed: `make test` installs it (make test-debs)"
    return path


class _Pipe:
    """DevTools protocol over chromium's debugging pipe: requests by id, events collected on the way."""

    def __init__(self, proc: subprocess.Popen, write_fd: int, read_fd: int):
        self.proc, self.write_fd, self.read_fd = proc, write_fd, read_fd
        self.buffer, self.next_id, self.events = b"", 0, []

    def _message(self, deadline: float) -> dict:
        while b"\0" not in self.buffer:
            assert time.time() < deadline, "chromium did not answer in time"
            chunk = os.read(self.read_fd, 1 << 16)
            assert chunk, "chromium closed the debugging pipe"
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 120) -> dict:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.write_fd, json.dumps(message).encode() + b"\0")
        deadline = time.time() + timeout
        while True:
            reply = self._message(deadline)
            if reply.get("id") == self.next_id:
                assert "error" not in reply, f"{method}: {reply['error']}"
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 120) -> dict:
        deadline = time.time() + timeout
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            event = self._message(deadline)
            self.events.append(event)
            if event.get("method") == method:
                return event


def load(page: Path, screenshot: Path | None = None, width: int = 1280, settle_s: float = 2.0) -> Loaded:
    """Open `page` (a local file), wait for its load event and `settle_s` more; with `screenshot`, save a PNG of
    the whole page there (`width` pixels wide)."""
    url = Path(page).resolve().as_uri()
    to_browser_r, to_browser_w = os.pipe()
    from_browser_r, from_browser_w = os.pipe()

    def wire():  # in the child: the protocol's fds 3 (commands in) and 4 (replies out), via fds clear of both
        commands, replies = os.dup(to_browser_r) + 100, os.dup(from_browser_w) + 100
        os.dup2(to_browser_r, commands)
        os.dup2(from_browser_w, replies)
        os.dup2(commands, 3)
        os.dup2(replies, 4)

    # chromium's helper processes can still be writing the profile when the main one is gone: the whole process
    # group is killed, and a file created in the last instant does not fail the test at clean-up
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        proc = subprocess.Popen([chromium(), *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe",
                                 f"--window-size={width},1000", "about:blank"], preexec_fn=wire, close_fds=False,
                                start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_browser_r)
        os.close(from_browser_w)
        pipe = _Pipe(proc, to_browser_w, from_browser_r)
        try:
            target = pipe.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = pipe.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Page", "Runtime", "Log", "Network"):
                pipe.send(f"{domain}.enable", session=session)
            pipe.send("Page.navigate", {"url": url}, session=session)
            pipe.wait_for("Page.loadEventFired")
            time.sleep(settle_s)
            pipe.send("Runtime.evaluate", {"expression": "1"}, session=session)  # collect the events so far
            dom = pipe.send("Runtime.evaluate", {"expression": "document.documentElement.outerHTML",
                                                 "returnByValue": True}, session=session)["result"]["value"]
            if screenshot is not None:
                size = pipe.send("Page.getLayoutMetrics", session=session)["cssContentSize"]
                shot = pipe.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": {
                    "x": 0, "y": 0, "width": width, "height": size["height"], "scale": 1}}, session=session)
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                screenshot.write_bytes(base64.b64decode(shot["data"]))
            events = list(pipe.events)
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
            os.close(to_browser_w)
            os.close(from_browser_r)
    return _loaded(dom, events)


def _loaded(dom: str, events: list[dict]) -> Loaded:
    out = Loaded(dom)
    for e in events:
        method, params = e.get("method"), e.get("params", {})
        if method == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
            if params.get("type") in ("error", "assert"):
                out.errors.append(f"console.{params['type']}: {text}")
            elif params.get("type") == "warning":
                out.warnings.append(f"console.warn: {text}")
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            out.errors.append(f"uncaught: {details.get('exception', {}).get('description') or details.get('text')}")
        elif method == "Log.entryAdded":
            entry = params.get("entry", {})
            target = out.errors if entry.get("level") == "error" else out.warnings
            target.append(f"{entry.get('source')}: {entry.get('text')} {entry.get('url', '')}".strip())
        elif method == "Network.requestWillBeSent":
            request_url = params.get("request", {}).get("url", "")
            if request_url.startswith(("http:", "https:")) and not _browser_own(request_url):
                out.requests.append(request_url)
        elif method == "Network.loadingFailed" and not params.get("canceled"):
            out.errors.append(f"failed load: {params.get('errorText')}")
    out.requests = sorted(set(out.requests))
    return out


def _browser_own(url: str) -> bool:
    host = urlparse(url).hostname or ""
    return any(host == h or host.endswith("." + h) for h in BROWSER_HOSTS)


def report_index(dom: str) -> dict:
    """The report's own index (section keys, number of figures), a JSON script element of the page."""
    start = dom.index('id="report-index">') + len('id="report-index">')
    return json.loads(dom[start:dom.index("</script>", start)])

"""Open an HTML output in headless Chromium and report what a reader would see.

Used by the tests (and usable by any report check) to prove that a page works in a real browser:
no console errors or uncaught exceptions, every network request it made, how many map shapes
Leaflet drew, and a screenshot. It drives Chromium through the DevTools protocol over
``--remote-debugging-pipe`` (JSON messages separated by NUL bytes on file descriptors 3 and 4), so
it needs no websocket client, no Playwright and no driver binary: only Debian's ``chromium``.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import io
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

# Flags for a hermetic, quiet, root-safe headless run. The host resolver rule makes every
# lookup fail, so a page that tries to reach a CDN or a tile server fails fast and visibly
# (the request is still recorded) instead of depending on the network of the machine.
_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--remote-debugging-pipe",
)
_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

# What the page is asked once it has loaded: shapes drawn by Leaflet (SVG paths and canvases in
# the overlay pane), the legend rows and the layer-control entries.
_PROBE = """(() => {
  const q = (s) => document.querySelectorAll(s).length;
  const canvases = Array.from(document.querySelectorAll('.leaflet-overlay-pane canvas'));
  return {
    maps: q('.leaflet-container'),
    svg_paths: q('.leaflet-overlay-pane svg path'),
    canvases: canvases.length,
    canvas_pixels: canvases.reduce((n, c) => n + c.width * c.height, 0),
    legend_rows: q('.se-legend-row'),
    layer_inputs: q('.leaflet-control-layers-selector'),
    scripts: q('script'),
    title: document.title,
  };
})()"""


def find_chromium() -> str | None:
    """Path of a Chromium (or Chrome) executable: ``$SPATIALECON_CHROMIUM``, else the first of
    ``chromium``, ``chromium-browser``, ``google-chrome`` on ``PATH``; ``None`` when absent."""
    env = os.environ.get("SPATIALECON_CHROMIUM")
    if env:
        return env if Path(env).exists() else None
    for name in _CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class PageReport:
    """What headless Chromium saw when it opened a page.

    Attributes
    ----------
    url
        The ``file://`` URL opened.
    console_errors
        ``console.error`` messages, uncaught exceptions and browser log entries of level
        "error" (failed resource loads, CSP violations …), as text.
    requests
        URL of every request the page made other than the page itself and ``data:`` URLs:
        an offline page must have none.
    dom
        Counts read from the page after load: ``maps`` (Leaflet containers), ``svg_paths`` and
        ``canvases`` in the overlay pane, ``legend_rows``, ``layer_inputs``, ``scripts`` and
        the document ``title``.
    screenshot
        PNG bytes of the viewport.
    evaluated
        Results of the ``evaluate`` expressions, in order.
    """

    url: str
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dom: dict = field(default_factory=dict)
    screenshot: bytes = b""
    evaluated: list[object] = field(default_factory=list)

    def distinct_colors(self) -> int:
        """Number of distinct colours in the screenshot (1 for a blank page)."""
        from PIL import Image

        image = Image.open(io.BytesIO(self.screenshot)).convert("RGB")
        colors = image.getcolors(maxcolors=1 << 20)
        return len(colors) if colors is not None else 1 << 20

    def colors_present(self) -> set[str]:
        """Hex colours present in the screenshot (``"#ff0000"`` …)."""
        from PIL import Image

        image = Image.open(io.BytesIO(self.screenshot)).convert("RGB")
        colors = image.getcolors(maxcolors=1 << 22) or []
        return {"#{:02x}{:02x}{:02x}".format(*rgb) for _, rgb in colors}


class _Pipe:
    """A DevTools session over the pipe: send commands, collect events."""

    def __init__(self, write_fd: int, read_fd: int) -> None:
        self._write = write_fd
        self._read = read_fd
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []

    def _messages(self, deadline: float) -> Iterator[dict]:
        import select

        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                yield json.loads(raw)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("Chromium did not answer in time")
            ready, _, _ = select.select([self._read], [], [], remaining)
            if ready:
                chunk = os.read(self._read, 1 << 20)
                if not chunk:
                    raise RuntimeError("Chromium closed the DevTools pipe (did it crash?)")
                self._buffer += chunk

    def call(self, method: str, params: dict | None = None, *, session: str | None = None,
             timeout: float = 20.0) -> dict:
        self._next_id += 1
        message: dict = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        for reply in self._messages(time.monotonic() + timeout):
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)
        raise AssertionError("unreachable")

    def wait_for(self, method: str, *, timeout: float = 20.0) -> dict:
        for index, event in enumerate(self.events):
            if event.get("method") == method:
                return self.events.pop(index)
        for event in self._messages(time.monotonic() + timeout):
            if event.get("method") == method:
                return event
            self.events.append(event)
        raise AssertionError("unreachable")


def _console_text(params: dict) -> str:
    parts = []
    for arg in params.get("args", []):
        parts.append(str(arg.get("value", arg.get("description", arg.get("type")))))
    return " ".join(parts)


def open_page(
    path: str | os.PathLike[str],
    *,
    width: int = 1000,
    height: int = 700,
    settle: float = 0.3,
    evaluate: tuple[str, ...] = (),
    timeout: float = 30.0,
) -> PageReport:
    """Open ``path`` in headless Chromium, wait for it to load and report what happened.

    Parameters
    ----------
    path
        An HTML file.
    width, height
        Viewport in CSS pixels (device scale 1).
    settle
        Seconds to wait after the ``load`` event for scripts that draw on a timer.
    evaluate
        JavaScript expressions evaluated in the page after it settled; their JSON values are
        returned in :attr:`PageReport.evaluated` (e.g. click a layer, then count paths).
    timeout
        Seconds allowed for launch and load.

    Returns
    -------
    PageReport

    Raises
    ------
    FileNotFoundError
        No Chromium executable (see :func:`find_chromium`).
    """
    executable = find_chromium()
    if executable is None:
        raise FileNotFoundError("no Chromium found: install Debian's chromium or set "
                                "SPATIALECON_CHROMIUM")
    url = Path(path).resolve().as_uri()
    report = PageReport(url=url)
    to_child_r, to_child_w = os.pipe()
    from_child_r, from_child_w = os.pipe()

    def wire_fds() -> None:
        # In the child: put the pipe ends where Chromium expects them (fds 3 and 4). Copy them
        # above 10 first, so that neither dup2 overwrites the other end; dup2's copies are
        # inheritable, every other descriptor Python opened is not and closes at exec.
        read_end = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10)
        write_end = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
        os.dup2(read_end, 3)
        os.dup2(write_end, 4)

    with tempfile.TemporaryDirectory(prefix="spatialecon-chromium-") as profile:
        process = subprocess.Popen(
            [executable, *_FLAGS, f"--user-data-dir={profile}",
             f"--window-size={width},{height}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=wire_fds, close_fds=False,  # see wire_fds
        )
        os.close(to_child_r)
        os.close(from_child_w)
        pipe = _Pipe(to_child_w, from_child_r)
        try:
            target = pipe.call("Target.createTarget", {"url": "about:blank"}, timeout=timeout)
            session = pipe.call("Target.attachToTarget",
                                {"targetId": target["targetId"], "flatten": True})["sessionId"]
            for domain in ("Runtime", "Log", "Network", "Page"):
                pipe.call(f"{domain}.enable", session=session)
            pipe.call("Emulation.setDeviceMetricsOverride",
                      {"width": width, "height": height, "deviceScaleFactor": 1,
                       "mobile": False}, session=session)
            pipe.call("Page.navigate", {"url": url}, session=session)
            pipe.wait_for("Page.loadEventFired", timeout=timeout)
            time.sleep(settle)
            probe = pipe.call("Runtime.evaluate", {"expression": _PROBE, "returnByValue": True},
                              session=session)
            report.dom = probe["result"].get("value", {})
            for expression in evaluate:
                result = pipe.call("Runtime.evaluate",
                                   {"expression": expression, "returnByValue": True,
                                    "awaitPromise": True}, session=session)
                if "exceptionDetails" in result:
                    report.console_errors.append(
                        f"evaluate: {result['exceptionDetails'].get('text')}")
                report.evaluated.append(result["result"].get("value"))
            shot = pipe.call("Page.captureScreenshot", {"format": "png"}, session=session)
            report.screenshot = base64.b64decode(shot["data"])
            with contextlib.suppress(RuntimeError, TimeoutError):  # closing anyway below
                pipe.call("Browser.close", timeout=5)
        finally:
            os.close(to_child_w)
            os.close(from_child_r)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    for event in pipe.events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            report.console_errors.append(_console_text(params))
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            report.console_errors.append(
                details.get("exception", {}).get("description") or details.get("text", ""))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            report.console_errors.append(f"{entry.get('text')} {entry.get('url', '')}".strip())
        elif method == "Network.requestWillBeSent":
            request_url = params.get("request", {}).get("url", "")
            if request_url != url and not request_url.startswith("data:"):
                report.requests.append(request_url)
    return report

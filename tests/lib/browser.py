"""tests/lib/browser.py: a page opened in headless Chromium (Debian's chromium),
driven over the Chrome DevTools Protocol with python3-websocket.

  with Browser() as b:
      page = b.open("file:///abs/report.html", width=1200)
      page.evaluate("document.title")        # a JSON-able value
      png = page.screenshot()                # the whole page, PNG bytes
      page.console_errors, page.requests     # what the page logged and fetched

Chromium runs with the flags that work on this machine's closed network
(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
--disable-background-networking --disable-component-update --disable-sync),
a fresh --user-data-dir and --remote-debugging-port=0; the port is read
from the DevToolsActivePort file Chromium writes there.  Everything is
stopped and removed on exit.  As a command:

  browser.py shot PAGE.html OUT.png [--width 1100] [--height 1200] [--colours 96]
writes a screenshot of the page's top (palette PNG, for documentation).
"""
import argparse
import base64
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

CHROMIUM_CANDIDATES = ("/usr/lib/chromium/chromium", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio"]


class BrowserError(Exception):
    pass


def chromium_path():
    for path in CHROMIUM_CANDIDATES:
        if os.access(path, os.X_OK):
            return path
    return None


class Page:
    """One tab, over its own DevTools WebSocket."""

    def __init__(self, ws_url, timeout):
        import websocket  # Debian's python3-websocket
        self.ws = websocket.create_connection(ws_url, timeout=timeout, suppress_origin=True)
        self.timeout = timeout
        self.next_id = 0
        self.events = []
        self.console_errors = []  # console.error, exceptions, error log entries (CSP included)
        self.requests = []        # every URL the page asked for

    def close(self):
        try:
            self.ws.close()
        except OSError:
            pass

    def _event(self, msg):
        method, p = msg.get("method"), msg.get("params", {})
        self.events.append(method)
        if method == "Network.requestWillBeSent":
            self.requests.append(p.get("request", {}).get("url"))
        elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            self.console_errors.append(" ".join(str(a.get("value", a.get("description")))
                                                for a in p.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            self.console_errors.append(p.get("exceptionDetails", {}).get("text", "exception"))
        elif method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            self.console_errors.append(p["entry"].get("text", ""))

    def call(self, method, **params):
        """Sends a command and returns its result (events meanwhile recorded)."""
        self.next_id += 1
        want = self.next_id
        self.ws.send(json.dumps({"id": want, "method": method, "params": params}))
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == want:
                if "error" in msg:
                    raise BrowserError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self._event(msg)
        raise BrowserError(f"{method}: no answer within {self.timeout} s")

    def wait_event(self, method, timeout=None):
        if method in self.events:
            return
        deadline = time.monotonic() + (timeout or self.timeout)
        while time.monotonic() < deadline:
            msg = json.loads(self.ws.recv())
            if "method" in msg:
                self._event(msg)
                if msg["method"] == method:
                    return
        raise BrowserError(f"no {method} within {timeout or self.timeout} s")

    def evaluate(self, expression):
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in r:
            raise BrowserError(f"evaluate {expression[:80]!r}: {r['exceptionDetails'].get('text')}")
        return r.get("result", {}).get("value")

    def screenshot(self, height=None):
        """PNG bytes of the page from its top: its whole height, or `height`
        CSS pixels (one device pixel each)."""
        width = self.evaluate("document.documentElement.scrollWidth")
        full = self.evaluate("document.documentElement.scrollHeight")
        h = min(full, height) if height else full
        r = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                      clip={"x": 0, "y": 0, "width": width, "height": h, "scale": 1})
        return base64.b64decode(r["data"])


class Browser:
    def __init__(self, timeout=30.0):
        self.timeout = timeout
        self.proc = None
        self.dir = None
        self.pages = []
        self.log = None

    def __enter__(self):
        exe = chromium_path()
        if exe is None:
            raise BrowserError("chromium is not installed (Debian's chromium: scripts/deps.sh)")
        self.dir = tempfile.mkdtemp(prefix="iris-chromium-")
        profile = os.path.join(self.dir, "profile")
        self.log = open(os.path.join(self.dir, "chromium.log"), "w+")
        self.proc = subprocess.Popen([exe, *FLAGS, f"--user-data-dir={profile}",
                                      "--remote-debugging-address=127.0.0.1",
                                      "--remote-debugging-port=0", "about:blank"],
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            self.port = self._port(os.path.join(profile, "DevToolsActivePort"))
        except BrowserError:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _port(self, path):
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.log.seek(0)
                raise BrowserError(f"chromium exited ({self.proc.returncode}): "
                                   f"{self.log.read()[-600:]}")
            try:
                with open(path) as f:
                    first = f.readline().strip()
                if first.isdigit():
                    return int(first)
            except OSError:
                pass
            time.sleep(0.05)
        raise BrowserError(f"chromium wrote no DevToolsActivePort within {self.timeout} s")

    def open(self, url, width=1200, height=900):
        """Navigates the first tab to url at that viewport; returns the Page
        once its load event fired."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/list",
                                    timeout=self.timeout) as r:
            targets = json.load(r)
        tabs = [t for t in targets if t.get("type") == "page"]
        if not tabs:
            raise BrowserError(f"no page target: {targets}")
        page = Page(tabs[0]["webSocketDebuggerUrl"], self.timeout)
        self.pages.append(page)
        for domain in ("Page", "Runtime", "Log", "Network"):
            page.call(f"{domain}.enable")
        page.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=False)
        page.events.clear()
        page.requests.clear()
        page.call("Page.navigate", url=url)
        page.wait_event("Page.loadEventFired")
        return page

    def close(self):
        for p in self.pages:
            p.close()
        self.pages = []
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except OSError:
                    pass
                self.proc.wait(5)
        if self.log is not None:
            self.log.close()
            self.log = None
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None


def main(argv=None):
    ap = argparse.ArgumentParser(description="a screenshot of a page's top, for documentation")
    ap.add_argument("cmd", choices=["shot"])
    ap.add_argument("page")
    ap.add_argument("out")
    ap.add_argument("--width", type=int, default=1100)
    ap.add_argument("--height", type=int, default=1200)
    ap.add_argument("--colours", type=int, default=96, help="palette size (default 96)")
    args = ap.parse_args(argv)
    from PIL import Image  # Debian's python3-pil
    with Browser() as b:
        page = b.open("file://" + os.path.abspath(args.page), width=args.width)
        png = page.screenshot(height=args.height)
    img = Image.open(io.BytesIO(png)).convert("RGB")
    img.quantize(colors=args.colours, method=Image.Quantize.MEDIANCUT).save(args.out,
                                                                            optimize=True)
    print(f"{args.out}: {img.width}x{img.height}, {os.path.getsize(args.out)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())

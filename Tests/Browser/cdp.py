#!/usr/bin/env python3
# Headless Chromium over the DevTools protocol (--remote-debugging-pipe, so no websocket library is needed), shared by
# the browser walks (admin dashboard, owner console): navigate, fill and submit forms, screenshot, and run the
# accessibility checks of accessibility.js on a page.
#
#   sys.path.insert(0, <this directory>); from cdp import Browser
import base64
import json
import os
import shutil
import subprocess
import tempfile
import time

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "accessibility.js")) as _file:
    ACCESSIBILITY_SCRIPT = _file.read()


class Browser:
    def __init__(self):
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        if not chromium:
            raise SystemExit("chromium is not installed")
        self.profile = tempfile.mkdtemp(prefix="gh-admin-cdp-")
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def wire_fds():
            # Chromium reads commands from fd 3 and writes replies and events to fd 4.
            # Move both out of the way first (either may already sit on 3 or 4), then onto 3 and 4, inheritable.
            reader, writer = os.dup(to_chrome_r), os.dup(from_chrome_w)
            reader, writer = os.dup2(reader, 100), os.dup2(writer, 101)
            os.dup2(reader, 3)
            os.dup2(writer, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)

        self.process = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--remote-debugging-pipe",
             "--user-data-dir=" + self.profile, "--no-first-run", "--no-default-browser-check", "--disable-extensions",
             "--window-size=1280,1000", "--lang=en-US", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.profile, "chromium.log"), "w"),
            close_fds=False, preexec_fn=wire_fds)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buffer = b""
        self.next_id = 0
        self.events = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.call("Page.enable", session=True)
        self.call("Runtime.enable", session=True)

    def send(self, method, params, session):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self.session
        os.write(self.to_chrome, json.dumps(message).encode() + b"\0")
        return self.next_id

    def read_message(self, deadline):
        while b"\0" not in self.buffer:
            if time.monotonic() > deadline:
                raise SystemExit("timed out waiting for chromium")
            chunk = os.read(self.from_chrome, 1 << 16)
            if not chunk:
                raise SystemExit("chromium closed the DevTools pipe")
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method, params=None, session=False, timeout=30):
        wanted = self.send(method, params, session)
        deadline = time.monotonic() + timeout
        while True:
            message = self.read_message(deadline)
            if message.get("id") == wanted:
                if "error" in message:
                    raise SystemExit("%s failed: %s" % (method, message["error"].get("message")))
                return message.get("result", {})
            self.events.append(message)

    def wait_for_load(self, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            for index, event in enumerate(self.events):
                if event.get("method") == "Page.loadEventFired":
                    del self.events[: index + 1]
                    return
            self.events.clear()
            self.events.append(self.read_message(deadline))

    def navigate(self, url):
        self.events.clear()
        self.call("Page.navigate", {"url": url}, session=True)
        self.wait_for_load()

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=True)
        if "exceptionDetails" in result:
            raise SystemExit("page script failed: %s" % result["exceptionDetails"].get("text"))
        return result.get("result", {}).get("value")

    def submit(self, expression):
        """Runs an expression that submits a form, then waits for the next page."""
        self.events.clear()
        self.evaluate(expression)
        self.wait_for_load()

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session=True)["data"]
        with open(path, "wb") as file:
            file.write(base64.b64decode(data))

    def accessibility_problems(self):
        """Runs Tests/Browser/accessibility.js on the current page: a list of problems, empty when the page passes."""
        return self.evaluate(ACCESSIBILITY_SCRIPT) or []

    def url(self):
        return self.evaluate("location.href")

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except SystemExit:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.profile, ignore_errors=True)

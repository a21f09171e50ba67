#!/usr/bin/env python3
# Drives headless Chromium through the admin dashboard over the DevTools protocol (--remote-debugging-pipe, so no
# websocket library is needed): signs in with an admin token, changes an owner's rate limit through the form, and
# screenshots every page.
#
#   dashboard-walk.py BASE_URL ADMIN_TOKEN OWNER_ID RPS BURST OUTPUT_DIR
#
# Prints one JSON object: {"screenshots": {name: path}, "pages": {name: final URL}}. Exit 1 with a message on failure.
# The admin token is read by the script from argv and typed into the sign-in form; it is never printed.
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import base64


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


def main():
    if len(sys.argv) != 7:
        raise SystemExit("usage: dashboard-walk.py BASE_URL ADMIN_TOKEN OWNER_ID RPS BURST OUTPUT_DIR")
    base, token, owner, rps, burst, output = sys.argv[1:]
    os.makedirs(output, exist_ok=True)
    shots, pages = {}, {}
    browser = Browser()
    try:
        def shot(name):
            path = os.path.join(output, name + ".png")
            browser.screenshot(path)
            shots[name] = path
            pages[name] = browser.url()

        browser.navigate(base + "/admin")
        shot("01-sign-in")
        browser.submit(
            "document.querySelector('#token').value = %s; document.querySelector('#sign-in-form').submit()" % json.dumps(token))
        if "/admin/dashboard/owners" not in browser.url():
            raise SystemExit("sign-in did not reach the owners page: %s" % browser.url())
        shot("02-owners")
        browser.navigate("%s/admin/dashboard/owners/%s" % (base, owner))
        shot("03-owner-before")
        browser.submit(
            "document.querySelector('#rps').value = %s; document.querySelector('#burst').value = %s;"
            "document.querySelector('#rate-limit-form').submit()" % (json.dumps(rps), json.dumps(burst)))
        shown = browser.evaluate("document.querySelector('#current-rate-limit').textContent")
        pages["rate_limit_shown"] = shown
        shot("04-owner-after")
        browser.navigate(base + "/admin/dashboard/vault")
        shot("05-vault")
        browser.navigate(base + "/admin/dashboard/notifications")
        shot("06-notifications")
        browser.navigate(base + "/admin/dashboard/audit")
        shot("07-audit")
        browser.navigate(base + "/admin/dashboard/owners?lang=vi")
        shot("08-owners-vi")
    finally:
        browser.close()
    print(json.dumps({"screenshots": shots, "pages": pages}))


if __name__ == "__main__":
    main()

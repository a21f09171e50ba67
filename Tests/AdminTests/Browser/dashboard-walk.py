#!/usr/bin/env python3
# Drives headless Chromium through the admin dashboard over the DevTools protocol (--remote-debugging-pipe, so no
# websocket library is needed): signs in with an admin token, changes an owner's rate limit through the form, and
# screenshots every page.
#
#   dashboard-walk.py BASE_URL ADMIN_TOKEN OWNER_ID RPS BURST OUTPUT_DIR
#
# Prints one JSON object: {"screenshots": {name: path}, "pages": {name: final URL}, "accessibility": {name: [problem]}}
# (Tests/Browser/accessibility.js on every page). Exit 1 with a message on failure.
# The admin token is read by the script from argv and typed into the sign-in form; it is never printed.
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Browser"))
from cdp import Browser  # noqa: E402


def main():
    if len(sys.argv) != 7:
        raise SystemExit("usage: dashboard-walk.py BASE_URL ADMIN_TOKEN OWNER_ID RPS BURST OUTPUT_DIR")
    base, token, owner, rps, burst, output = sys.argv[1:]
    os.makedirs(output, exist_ok=True)
    shots, pages, accessibility = {}, {}, {}
    browser = Browser()
    try:
        def shot(name):
            path = os.path.join(output, name + ".png")
            browser.screenshot(path)
            shots[name] = path
            pages[name] = browser.url()
            accessibility[name] = browser.accessibility_problems()

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
    print(json.dumps({"screenshots": shots, "pages": pages, "accessibility": accessibility}))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# Drives headless Chromium through the admin dashboard over the DevTools protocol (--remote-debugging-pipe, so no
# websocket library is needed): signs in with an admin token, looks at the overview, searches, sorts and pages the
# owners list, changes an owner's rate limit through the form, and screenshots every page.
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
        if not browser.url().endswith("/admin/dashboard"):
            raise SystemExit("sign-in did not reach the overview: %s" % browser.url())
        shot("02-overview")
        browser.submit("document.querySelector('#nav-owners').click()")
        shot("03-owners")
        browser.submit(
            "document.querySelector('#q').value = 'Hoa Sen'; document.querySelector('#owner-search').submit()")
        pages["search_rows"] = browser.evaluate("document.querySelectorAll('#owners tbody tr').length")
        shot("04-owners-search")
        browser.navigate(base + "/admin/dashboard/owners")
        browser.submit("document.querySelector('#sort-volume').click()")
        shot("05-owners-sorted")
        browser.submit("document.querySelector('#next-page').click()")
        pages["next_rows"] = browser.evaluate("document.querySelectorAll('#owners tbody tr').length")
        shot("06-owners-next-page")
        browser.navigate("%s/admin/dashboard/owners/%s" % (base, owner))
        shot("07-owner-before")
        browser.submit(
            "document.querySelector('#rps').value = %s; document.querySelector('#burst').value = %s;"
            "document.querySelector('#rate-limit-form').submit()" % (json.dumps(rps), json.dumps(burst)))
        shown = browser.evaluate("document.querySelector('#current-rate-limit').textContent")
        pages["rate_limit_shown"] = shown
        shot("08-owner-after")
        browser.navigate(base + "/admin/dashboard/vault")
        shot("09-vault")
        browser.navigate(base + "/admin/dashboard/notifications")
        shot("10-notifications")
        browser.navigate(base + "/admin/dashboard/audit")
        shot("11-audit")
        browser.navigate(base + "/admin/dashboard/owners?lang=vi")
        shot("12-owners-vi")
        browser.navigate(base + "/admin/dashboard?lang=vi")
        shot("13-overview-vi")
    finally:
        browser.close()
    print(json.dumps({"screenshots": shots, "pages": pages, "accessibility": accessibility}))


if __name__ == "__main__":
    main()

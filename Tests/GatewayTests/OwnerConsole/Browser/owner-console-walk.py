#!/usr/bin/env python3
# Drives headless Chromium through the owner console over the DevTools protocol (Tests/Browser/cdp.py): signs in with an
# owner API key, opens the overview and the payments, downloads the CSV export through the session, creates an API key
# (reads the secret the page shows once), revokes it, and screenshots every page.
#
#   owner-console-walk.py BASE_URL API_KEY FROM TO OUTPUT_DIR
#
# Prints one JSON object: {"screenshots": {name: path}, "pages": {name: final URL}, "accessibility": {name: [problem]},
# "csv": {"status", "bom", "text"}, "new_key": secret, "keys_after_revoke": text}. Exit 1 with a message on failure.
# The sign-in key is read from argv and typed into the form; it is never printed.
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "Browser"))
from cdp import Browser  # noqa: E402

FETCH_CSV = """
(async () => {
  const response = await fetch(%s, {credentials: "same-origin"});
  const bytes = new Uint8Array(await response.arrayBuffer());
  return {status: response.status, bom: bytes[0] === 0xEF && bytes[1] === 0xBB && bytes[2] === 0xBF,
          text: new TextDecoder("utf-8", {ignoreBOM: true}).decode(bytes),
          disposition: response.headers.get("content-disposition")};
})()
"""


def main():
    if len(sys.argv) != 6:
        raise SystemExit("usage: owner-console-walk.py BASE_URL API_KEY FROM TO OUTPUT_DIR")
    base, key, day_from, day_to, output = sys.argv[1:]
    os.makedirs(output, exist_ok=True)
    shots, pages, accessibility, report = {}, {}, {}, {}
    browser = Browser()
    try:
        def shot(name):
            path = os.path.join(output, name + ".png")
            browser.screenshot(path)
            shots[name] = path
            pages[name] = browser.url()
            accessibility[name] = browser.accessibility_problems()

        browser.navigate(base + "/owner")
        shot("01-sign-in")
        browser.submit(
            "document.querySelector('#api_key').value = %s; document.querySelector('#sign-in-form').submit()" % json.dumps(key))
        if "/owner/overview" not in browser.url():
            raise SystemExit("sign-in did not reach the overview: %s" % browser.url())
        shot("02-overview")
        browser.navigate(base + "/owner/payments?lang=en")
        shot("03-payments")

        # The CSV, fetched by the page with the session cookie. The console's CSP allows no fetch at all (it has no
        # script), so the DevTools bypass is on for this one load only.
        browser.call("Page.setBypassCSP", {"enabled": True}, session=True)
        browser.navigate(base + "/owner/payments")
        url = "/owner/payments/export.csv?from=%s&to=%s" % (day_from, day_to)
        result = browser.call(
            "Runtime.evaluate", {"expression": FETCH_CSV % json.dumps(url), "awaitPromise": True, "returnByValue": True}, session=True)
        if "exceptionDetails" in result:
            raise SystemExit("CSV fetch failed: %s" % result["exceptionDetails"].get("text"))
        report["csv"] = result.get("result", {}).get("value")
        browser.call("Page.setBypassCSP", {"enabled": False}, session=True)

        browser.navigate(base + "/owner/api-keys")
        shot("04-api-keys")
        browser.submit(
            "document.querySelector('#key-name').value = 'Máy quầy lễ tân'; document.querySelector('#create-key-form').submit()")
        shot("05-key-created")
        secret = browser.evaluate("document.querySelector('#new-key').value")
        report["new_key"] = secret
        prefix = secret.split("_")[1]
        browser.navigate(base + "/owner/api-keys")
        browser.submit("document.querySelector('#revoke-%s').closest('form').submit()" % prefix)
        shot("06-key-revoked")
        report["keys_after_revoke"] = browser.evaluate("document.querySelector('#key-%s').textContent" % prefix)
        browser.navigate(base + "/owner/credentials")
        shot("07-credentials")
        browser.navigate(base + "/owner/overview?lang=vi&bucket=day")
        shot("08-overview-vi")
    finally:
        browser.close()
    print(json.dumps(dict(report, screenshots=shots, pages=pages, accessibility=accessibility)))


if __name__ == "__main__":
    main()

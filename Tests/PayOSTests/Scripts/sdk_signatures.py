"""Signs test payloads with the official payOS Python SDK 1.x, for the Swift SDK-parity property test.

Input (argv[1]): a JSON file {"key": "...", "cases": [{"body": {...}, "create": {...}}, ...]}.
Output (stdout): JSON {"sdkVersion": "...", "results": [{"bodyText", "bodySignature", "headerSignature",
"createSignature"}, ...]} with ASCII escapes only, so no terminal encoding can alter it.

The canonical body text comes from the SDK's own helpers (sort_object_by_key + convert_object_to_query_string,
exactly what CryptoProvider.create_signature_from_object signs), so a mismatch shows the differing text.
"""

import json
import sys
import warnings
from importlib.metadata import version

warnings.simplefilter("ignore")

from payos._crypto import CryptoProvider  # noqa: E402
from payos._crypto.provider import convert_object_to_query_string, sort_object_by_key  # noqa: E402


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as handle:
        request = json.load(handle)
    key = request["key"]
    crypto = CryptoProvider()
    results = []
    for case in request["cases"]:
        body = case["body"]
        results.append(
            {
                "bodyText": convert_object_to_query_string(sort_object_by_key(body)),
                "bodySignature": crypto.create_signature_from_object(body, key),
                "headerSignature": crypto.create_signature(key, body),
                "createSignature": crypto.create_signature_of_payment_request(case["create"], key),
            }
        )
    json.dump({"sdkVersion": version("payos"), "results": results}, sys.stdout, ensure_ascii=True)


if __name__ == "__main__":
    main()

"""schemathesis hooks for scripts/api-contract (loaded through SCHEMATHESIS_HOOKS).

`no_other_owner_data`: every request the run sends with owner A's key (all non-admin operations) must get an answer
that holds none of owner B's data: B's booking and payment ids where they name a booking or payment, B's order code,
the marker in B's room title and renter e-mail, B's renter token, payOS client id and account name. Admin routes are exempt: an admin sees every
owner. The fixtures are written by `api_contract.py provision` to $API_CONTRACT_FIXTURES."""
import json, os

import schemathesis

FIXTURES = json.load(open(os.environ["API_CONTRACT_FIXTURES"]))
OTHER = FIXTURES["b"]
TEXT_MARKERS = [OTHER["marker"], OTHER["renter_token"], str(OTHER["order_code"]), OTHER["client_id"], OTHER["account_name"]]


def _leaks(value, where="$"):
    """JSON paths where B's ids appear as the id of a payment or booking."""
    found = []
    if isinstance(value, dict):
        is_payment = "order_code" in value or "payment_code" in value or "payment_status" in value
        is_booking = "room_title" in value
        for key, member in value.items():
            path = f"{where}.{key}"
            if key == "payment_id" and member == OTHER["payment_id"]:
                found.append(path)
            elif key == "booking_id" and member == OTHER["booking_id"]:
                found.append(path)
            elif key == "id" and is_payment and member == OTHER["payment_id"] and "room_title" not in value:
                found.append(path)
            elif key == "id" and is_booking and member == OTHER["booking_id"]:
                found.append(path)
            else:
                found += _leaks(member, path)
    elif isinstance(value, list):
        for index, member in enumerate(value):
            found += _leaks(member, f"{where}[{index}]")
    return found


@schemathesis.check
def no_other_owner_data(ctx, response, case):
    """An owner's key never reads another owner's data."""
    if case.path.startswith("/admin"):
        return None
    text = response.text or ""
    for marker in TEXT_MARKERS:
        if marker in text:
            raise AssertionError(f"{case.method} {case.path} answered owner B's data ({marker[:12]}…) to owner A's key")
    try:
        body = json.loads(text)
    except ValueError:
        return None
    leaks = _leaks(body)
    if leaks:
        raise AssertionError(f"{case.method} {case.path} answered owner B's ids at {', '.join(leaks)} to owner A's key")
    return None


# The check must be able to fail: B's payment inside a list, and B's booking, are found.
assert _leaks({"payments": [{"id": OTHER["payment_id"], "order_code": 1}]}) == ["$.payments[0].id"]
assert _leaks({"id": OTHER["booking_id"], "room_title": "x"}) == ["$.id"]

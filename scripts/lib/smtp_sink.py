# Copyright (c) the Gatehouse authors
"""An aiosmtpd handler for tests: keeps every received message, byte for byte.

Each accepted message becomes DIR/<n>.eml (the DATA exactly as received, CRLF line ends kept) plus
DIR/<n>.json with the SMTP envelope ({"mail_from": ..., "rcpt_tos": [...]}), so a test can check
both what was delivered and to whom. Files appear atomically (written under a temporary name,
then renamed), so a reader polling the folder never sees half a message. The .json is renamed
into place before the .eml: once <n>.eml exists, its envelope does too.

A recipient in the domain `rejected.invalid` is refused with 550 (to test permanent rejections).

Used by scripts/smtp-test-server as:  python3 -m aiosmtpd -n -l 127.0.0.1:PORT -c smtp_sink.RawMailDir DIR
"""
import itertools
import json
import os


class RawMailDir:
    def __init__(self, directory):
        self.directory = os.path.abspath(directory)
        os.makedirs(self.directory, exist_ok=True)
        existing = [int(name[:-4]) for name in os.listdir(self.directory) if name.endswith(".eml") and name[:-4].isdigit()]
        self.counter = itertools.count(max(existing, default=0) + 1)

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 1:
            parser.error("smtp_sink.RawMailDir takes one argument: the folder to write messages into")
        return cls(args[0])

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower().endswith("@rejected.invalid"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def _write(self, path, data):
        temporary = path + ".tmp"
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.rename(temporary, path)

    async def handle_DATA(self, server, session, envelope):
        number = next(self.counter)
        base = os.path.join(self.directory, str(number))
        mail_from = envelope.mail_from
        if isinstance(mail_from, bytes):
            mail_from = mail_from.decode("utf-8", "replace")
        envelope_info = {"mail_from": mail_from, "rcpt_tos": list(envelope.rcpt_tos)}
        self._write(base + ".json", json.dumps(envelope_info).encode("utf-8"))
        self._write(base + ".eml", envelope.original_content or envelope.content)
        return "250 2.0.0 Message accepted for delivery"

"""A local HTTP service keeping GOV.UK Notify's documented contract for sending an
email (``POST /v2/notifications/email``), for the tests of ``QA_EMAIL_VIA=govuk_notify``.

GOV.UK Notify is a hosted service these machines cannot reach, and it publishes no
server to run; this stands in for it at the wire, as its API documentation
(docs.notifications.service.gov.uk/rest-api.html) writes the contract, so that the
project's code goes through the official client unchanged, over real HTTP:

- ``Authorization: Bearer <JWT>``: HS256, signed with the API key's secret, ``iss``
  the service id, ``iat`` within 30 seconds of now; else 403 ``AuthError``;
- the body: ``email_address`` (an address), ``template_id`` (a template of the
  service), ``personalisation`` holding every placeholder of the template,
  optional ``reference`` and ``email_reply_to_id``; else 400 ``ValidationError`` /
  ``BadRequestError``;
- 201 with the notification's id, reference, content and template.

``fail_next(n, status)`` answers the next ``n`` sends with ``status`` (a 500 or a 429,
say); ``sent`` lists what it accepted.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt

TEMPLATE_PLACEHOLDERS = ("subject", "body")


class NotifyService:
    def __init__(self) -> None:
        self.service_id = str(uuid.uuid4())
        self.secret = str(uuid.uuid4())
        self.api_key = f"qa_engine_test-{self.service_id}-{self.secret}"
        self.template_id = str(uuid.uuid4())
        self.sent: list[dict[str, Any]] = []
        self.refused: list[tuple[int, str]] = []
        self._failures: list[int] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> NotifyService:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail_next(self, n: int, status: int) -> None:
        with self._lock:
            self._failures += [status] * n

    def _answer(self, headers: Any, raw: bytes) -> tuple[int, dict[str, Any]]:
        def error(status: int, kind: str, message: str) -> tuple[int, dict[str, Any]]:
            self.refused.append((status, message))
            return status, {"status_code": status, "errors": [{"error": kind, "message": message}]}

        auth = headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return error(401, "AuthError", "Unauthorized: authentication token must be provided")
        try:
            claims = jwt.decode(
                auth.removeprefix("Bearer "),
                self.secret,
                algorithms=["HS256"],
                options={"verify_iat": False},
            )
        except jwt.InvalidTokenError:
            return error(403, "AuthError", "Invalid token: signature, api token not found")
        if claims.get("iss") != self.service_id:
            return error(403, "AuthError", "Invalid token: service not found")
        if abs(time.time() - float(claims.get("iat", 0))) > 30:
            return error(
                403, "AuthError", "Error: Your system clock must be accurate to within 30 seconds"
            )
        with self._lock:
            if self._failures:
                status = self._failures.pop(0)
                return error(
                    status,
                    "Exception",
                    "Internal server error" if status >= 500 else "Exceeded rate limit",
                )
        try:
            body = json.loads(raw)
        except ValueError:
            return error(400, "BadRequestError", "Invalid JSON supplied in POST data")
        address = body.get("email_address", "")
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", str(address)):
            return error(400, "ValidationError", "email_address Not a valid email address")
        if body.get("template_id") != self.template_id:
            return error(400, "BadRequestError", "Template not found")
        values = body.get("personalisation") or {}
        missing = [p for p in TEMPLATE_PLACEHOLDERS if p not in values]
        if missing:
            return error(400, "BadRequestError", f"Missing personalisation: {', '.join(missing)}")
        note = str(uuid.uuid4())
        with self._lock:
            self.sent.append(body)
        return 201, {
            "id": note,
            "reference": body.get("reference"),
            "content": {
                "subject": values["subject"],
                "body": values["body"],
                "from_email": "qa.engine@notifications.service.gov.uk",
            },
            "uri": f"{self.base_url}/v2/notifications/{note}",
            "template": {"id": self.template_id, "version": 1, "uri": f"{self.base_url}/t"},
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path != "/v2/notifications/email":
                    status, out = 404, {"status_code": 404, "errors": [{"error": "NotFound"}]}
                else:
                    status, out = service._answer(self.headers, raw)
                data = json.dumps(out).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

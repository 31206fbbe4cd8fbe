"""The intake baseline: a hello-world Flask POST served by the same gunicorn settings."""

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/api/v1/requests")
def accept():  # type: ignore[no-untyped-def]
    body = request.get_json(silent=True) or {}
    return jsonify({"reference": "R-HELLO", "status": "received", "kind": body.get("kind")}), 202

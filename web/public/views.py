"""The public start page."""

from __future__ import annotations

from flask import render_template

from web.public.blueprint import bp


@bp.get("/")
def home() -> str:
    return render_template("web/public/home.html")

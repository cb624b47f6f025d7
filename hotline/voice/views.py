"""Voice webhook views (thin): verify, parse, call one domain function, render TwiML."""

from __future__ import annotations

from flask import Blueprint

voice = Blueprint("voice", __name__)

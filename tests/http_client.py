"""A small HTTP client for tests against real servers: cookies kept, redirects not followed."""

import html as html_module
import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    text: str


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class Browserish:
    """One reader: its own cookie jar, talking to one base URL."""

    def __init__(self, base_url: str, timeout: float = 60) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def request(self, method: str, path: str, data: dict[str, str] | None = None) -> Answer:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base_url + path, data=body, method=method)
        if body is not None:
            req.add_header("Content-Type", "application/x-www-form-urlencoded")
        try:
            with self.opener.open(req, timeout=self.timeout) as response:
                return Answer(response.status, dict(response.headers), response.read().decode())
        except urllib.error.HTTPError as error:
            return Answer(error.code, dict(error.headers), error.read().decode())

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def post(self, path: str, data: dict[str, str]) -> Answer:
        return self.request("POST", path, data)


def form_controls(html: str, form_id: str = "reply-form") -> dict[str, str]:
    """Every named input and textarea of one form, with the values it was rendered with."""
    start = html.index(f'id="{form_id}"')
    form = html[start : html.index("</form>", start)]
    fields: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if not name:
            continue
        kind = re.search(r'type="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if kind and kind.group(1) == "checkbox" and "checked" not in tag:
            continue
        fields[name.group(1)] = _unescape(value.group(1)) if value else ""
    textareas = re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S)
    for name, value in textareas:
        fields[name] = _unescape(re.sub(r"^\r?\n", "", value))
    return fields


def _unescape(value: str) -> str:
    return html_module.unescape(value)


__all__ = ["Answer", "Browserish", "form_controls"]

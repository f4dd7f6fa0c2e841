"""URL rules whose address builders are compiled on first use rather than at start-up.

For every route, Werkzeug generates and compiles two small Python functions that build its
address (with and without extra query arguments) the moment the route is registered: for this
site's 38 routes about 10 ms of every worker's start, spent before it can answer anything,
though a reader's page only ever builds the addresses of a handful of routes (and the desk's
twenty are built only for staff). Here each builder is compiled the first time it is called,
by the same Werkzeug code. Matching requests never uses the builders.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.routing import Rule


class LazilyBuiltRule(Rule):
    """A Werkzeug Rule that compiles each address builder when first asked to build."""

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        compile_now = super()._compile_builder
        compiled: list[Callable[..., tuple[str, str]]] = []

        def build(rule: Rule, **values: Any) -> tuple[str, str]:
            if not compiled:  # two threads may both compile: the same function either way
                compiled.append(compile_now(append_unknown).__get__(rule, None))
            return compiled[0](**values)

        return build

"""Rules between two values of a request that JSON Schema cannot state, for ./scripts/schemathesis.

Each is documented on its operation in /openapi.json and enforced by the server with a 4xx; a
schema-valid request that breaks one is a client's mistake, not data the server must take, so
the schema-valid (positive) cases are made to keep them. Invalid (negative) cases are left as
generated.
"""

from datetime import date, datetime, timezone

import schemathesis


def _positive(case) -> bool:
    meta = case.meta
    return meta is not None and meta.generation.mode.is_positive


def _instant(value):
    """A `from`/`to` value as the server reads it (a date is its first instant), or None."""
    if not isinstance(value, str):
        return None
    try:
        if len(value) == 10:
            d = date.fromisoformat(value)
            return datetime(d.year, d.month, d.day, tzinfo=timezone.utc)
        t = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        return t if t.tzinfo else t.replace(tzinfo=timezone.utc)
    except ValueError:
        return None


@schemathesis.hook
def map_case(context, case):
    if not _positive(case):
        return case
    path = case.operation.path
    method = case.operation.method.upper()
    params = []
    if isinstance(case.query, dict):
        params.append(case.query)
    if method == "POST" and path == "/search" and isinstance(case.body, dict):
        params.append(case.body)
    for p in params:
        # `after` takes only the `next` of a previous answer of the same search (its sort,
        # no `offset`): an opaque token that no schema can generate. tests/integration
        # covers deep paging; here it is left out of valid searches.
        p.pop("after", None)
        # `from` must not be after `to` (400 naming `from`): keep the pair in order.
        lo, hi = _instant(p.get("from")), _instant(p.get("to"))
        if lo is not None and hi is not None and lo > hi:
            p["from"], p["to"] = p["to"], p["from"]
        # `semantic=true` ranks by relevance: with `sort=newest` or `oldest` it is a 400 naming
        # `semantic`; valid searches leave it to the default there.
        semantic = p.get("semantic")
        semantic = semantic is True or (isinstance(semantic, str) and semantic.strip() in ("true", "1"))
        if semantic and str(p.get("sort", "")).strip() in ("newest", "oldest"):
            p.pop("semantic")
    return case

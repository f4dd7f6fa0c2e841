"""Is a reader's email address valid? email-validator decides; each domain is asked once.

email-validator reads an address character by character in Python, and most of that time goes
to the part after the @: 31 us for `reader.name.17@example.com`, a tenth of a reply POST's own
work, although a newsroom's readers write from a few hundred domains. For a plain ASCII address
(one @, none of the quotes, brackets, spaces or backslashes that make the two halves depend on
each other), its checks of the two halves are independent: the part before the @ is checked
beside a one-letter stand-in domain (with the domain rules that only concern the part after the
@ off: 16 us), and the domain's verdict, which depends on the domain alone (no DNS is asked), is
kept. Anything else goes to email-validator whole. `tests/test_email_check.py` compares both
ways on chosen and generated addresses.
"""

from __future__ import annotations

import functools
import re

# Letters, digits and the other characters RFC 5322 allows unquoted before the @; then letters,
# digits, dots and hyphens after it. Anything outside (quotes, brackets, spaces, backslashes,
# non-ASCII, a second @) takes the whole-address path.
_PLAIN = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-]+@[A-Za-z0-9.\-]+")
# The domain beside which the part before the @ is checked: one letter, which email-validator
# accepts once told not to require a globally deliverable domain.
STAND_IN_DOMAIN = "a"
# Longer addresses go to email-validator whole, which refuses them for their length.
MAX_LENGTH = 254
MAX_DOMAINS_KEPT = 10_000

_domain_is_valid: dict[str, bool] = {}


@functools.cache
def _library():
    """email-validator's check and its error, imported at the first reply rather than when a
    worker starts: with the idna tables it loads, about 60 ms of a worker's start-up."""
    from email_validator import EmailNotValidError, validate_email

    return validate_email, EmailNotValidError


def _accepted(address: str, globally_deliverable: bool = True) -> bool:
    validate_email, not_valid = _library()
    try:
        validate_email(
            address, check_deliverability=False, globally_deliverable=globally_deliverable
        )
    except not_valid:
        return False
    return True


def is_valid(address: str) -> bool:
    """Whether email-validator accepts `address` (its syntax only: no DNS lookups)."""
    if len(address) > MAX_LENGTH or not _PLAIN.fullmatch(address):
        return _accepted(address)
    local, _, domain = address.partition("@")
    valid = _domain_is_valid.get(domain)
    if valid is None:
        if len(_domain_is_valid) >= MAX_DOMAINS_KEPT:
            _domain_is_valid.clear()
        valid = _domain_is_valid[domain] = _accepted(f"x@{domain}")
    return valid and _accepted(f"{local}@{STAND_IN_DOMAIN}", globally_deliverable=False)

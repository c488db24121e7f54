import re
from pathlib import Path

from okpay.core import hooks

ROOT = Path(__file__).resolve().parents[2]


def test_every_audit_action_in_the_code_has_a_label():
    used = set()
    for path in ROOT.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        used |= set(
            re.findall(
                r'(?:audit_event_record|AuditEvent\.objects\.create)\(\s*action="([a-z0-9_.]+)"',
                path.read_text(),
            )
        )
    assert used, "no audit actions found"
    assert sorted(used - set(hooks.audit_labels())) == []

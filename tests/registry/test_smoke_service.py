from dancu.common import audit
from dancu.registry import service
from tests.registry.factories import person


def test_read_is_audited_with_actor_and_purpose(session, clerk):
    citizen = person(session, "Nguyễn Văn An")
    out = service.get_citizen(session, citizen.pid, actor=clerk, purpose="verification")
    assert out.full_name == "Nguyễn Văn An"
    [entry] = audit.trail(session, "citizen", citizen.pid)
    assert (entry.actor_id, entry.purpose, entry.action) == (
        clerk.id,
        "verification",
        "citizen.read",
    )

"""wapiti3 as each role, through the TLS proxy of the attack mode (the portal started with
--secure-cookies, as in production): 0 findings, every form of the role crawled, every crawled
resource attacked by every listed module (a scan cut short proves nothing and fails). How the scans
are bounded and judged: wapiti_scan.py; how they run side by side with sqlmap: campaign.py."""

import pytest

import campaign
from attack import is_loopback
from portal import BASE_URL
from wapiti_scan import ROLES

pytestmark = pytest.mark.attack


@pytest.mark.timeout(420)  # the first test to ask waits for the whole campaign
@pytest.mark.parametrize("role", ROLES)
def test_wapiti_finds_nothing_and_attacks_every_form_of_this_role(role):
    assert is_loopback(BASE_URL), "loopback targets only"
    everything = campaign.results()
    result = everything["wapiti"][role]
    found = result.get("findings", [])
    print(f"wapiti {role}: {result['resources']} resources crawled, {len(found)} findings, "
          f"{result['seconds']:.0f}s (logs {result['logs']})")
    assert not found and not result["problems"], \
        f"wapiti as {role} found:\n" + "\n".join(found) + "\ninconclusive:\n" + "\n".join(result["problems"])
    if role == "anonymous":  # the sign-in form must have been attacked, not the throttle's 429 page
        assert not everything["guard"], f"inconclusive: {everything['guard']}"

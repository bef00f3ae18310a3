"""sqlmap against every target of sqlmap_scan.targets(), each as the role that can reach it, through
the TLS proxy of the attack mode (as in production): nothing injectable, and every target finished
with a verdict on each of its parameters (a run cut short or without a verdict is inconclusive and
fails). How targets are chosen, bounded and judged: sqlmap_scan.py; how they run: campaign.py."""

import pytest

import campaign
from attack import is_loopback
from portal import ARTIFACTS, BASE_URL
from sqlmap_scan import verdict

pytestmark = pytest.mark.attack


@pytest.mark.timeout(420)  # the first test to ask waits for the whole campaign
def test_sqlmap_finds_nothing_injectable_in_forms_and_query_parameters():
    assert is_loopback(BASE_URL), "loopback targets only"
    everything = campaign.results()
    results = everything["sqlmap"]
    summary = {r["name"]: (verdict(r), round(r["seconds"], 1)) for r in results}
    print("sqlmap:", summary)
    injectable = [name for name, (v, _) in summary.items() if v == "INJECTABLE"]
    inconclusive = [f"{r['name']}: {verdict(r)} — {[l for l in r['output'].splitlines() if 'CRITICAL' in l or 'ERROR' in l][-3:]}"
                    for r in results if verdict(r).startswith("inconclusive")]
    assert not injectable, f"sqlmap found injectable parameters in {injectable} (logs in {ARTIFACTS / 'sqlmap'})"
    assert not inconclusive, "sqlmap could not finish testing:\n" + "\n".join(inconclusive)
    assert not everything["guard"], f"sqlmap on /login is inconclusive: {everything['guard']}"

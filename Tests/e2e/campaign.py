"""The attack tools run at the same time: wapiti as each role and sqlmap on every target, in
parallel lanes, once per run (the first test that asks starts them; the others wait for their part).
Each tool is a single client waiting on one request at a time, so running them side by side uses
the machine instead of queueing; each scan still has its own session, objects and bounds.

One ThrottleGuard spans the whole campaign: the sign-in form is attacked by wapiti (anonymous) and
sqlmap (login) while it is active, and its verdict belongs to both."""

import threading
from concurrent.futures import ThreadPoolExecutor

import sqlmap_scan
import wapiti_scan
from attack import ThrottleGuard, world

SQLMAP_LANES = 2  # sqlmap targets run two at a time beside the wapiti scans

_lock = threading.Lock()
_futures: dict = {}
_guard: dict = {}


def _sqlmap_lane(targets: list[dict]) -> list[dict]:
    return [sqlmap_scan.run_one(t) for t in targets]


def _run_all():
    w = world()  # every session and throwaway object exists before the first request of any tool
    ordinary, login = sqlmap_scan.targets()
    ordinary = sorted(ordinary, key=lambda t: -len(t["params"].split(",")))  # longest first
    lanes = [ordinary[i::SQLMAP_LANES] for i in range(SQLMAP_LANES)]
    lanes[-1].append(login)
    guard = ThrottleGuard(w["sessions"]["sqlmap-admin"])
    plans = {role: wapiti_scan.plan(role) for role in wapiti_scan.ROLES}
    shards = [(role, shard) for role in ("doctor", "admin", "patient", "anonymous") for shard in plans[role]["shards"]]
    with guard, ThreadPoolExecutor(max_workers=len(shards) + SQLMAP_LANES) as pool:
        # The longest scans first, so that they do not end up alone at the end.
        wapiti = [(role, pool.submit(wapiti_scan.run_shard, role, shard, plans[role])) for role, shard in shards]
        sqlmap = [pool.submit(_sqlmap_lane, lane) for lane in lanes]
        done = [(role, f.result()) for role, f in wapiti]
        results = {"wapiti": {role: wapiti_scan.judge(role, plans[role], [r for g, r in done if g == role])
                              for role in wapiti_scan.ROLES},
                   "sqlmap": [r for f in sqlmap for r in f.result()]}
    results["guard"] = guard.problems()
    return results


def results() -> dict:
    """{"wapiti": {role: result}, "sqlmap": [result], "guard": [problem]} — runs the campaign once."""
    with _lock:
        if "all" not in _futures:
            _futures["all"] = _run_all()
    return _futures["all"]

#!/usr/bin/env python3
"""HTTP clients for the fault and scale-out tests (Tests/faults/run.sh). Standard library only.

load  URL LIST OUT SECONDS THREADS TYPE_ID [--login EMAILS PASSWORD CSRF_COOKIE CSRF_TOKEN] [--stop-file PATH]
    Books continuously: each request takes the next line "token<TAB>csrf<TAB>block" of LIST and POSTs
    /patient/book/<block> with a fresh booking key, on a new connection (Connection: close), so a
    request is either answered or visibly failed. With --login every fourth request is a sign-in
    instead (a slow request: one argon2id verification). Writes one JSON line per request to OUT:
    t (start, epoch s), ms, kind, status (HTTP status, or "refused" when the connection could not be
    made, or "broken" when it failed after the request was sent), block, token, key, location,
    retry_after, page (the 503 body is the portal's error page). With --stop-file it stops starting
    requests as soon as PATH exists (SECONDS is then only the upper bound), so the caller can end the
    load a fixed time after an event it waits for.
race  URL LIST OUT TYPE_ID
    Sends every line of LIST at once (one thread each, released together by a barrier): all for the
    same block. Writes the same JSON lines.
"""
import http.client, json, os, sys, threading, time, urllib.parse

def post(url, path, body, cookie, timeout=15):
    parsed = urllib.parse.urlsplit(url)
    started = time.time()
    result = {"t": started}
    try:
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=timeout)
        conn.connect()
    except OSError as error:
        result.update(status="refused", ms=(time.time() - started) * 1000, error=str(error))
        return result
    try:
        conn.request("POST", path, body=body, headers={
            "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded", "Connection": "close"})
        response = conn.getresponse()
        text = response.read()
        result.update(status=response.status, location=response.getheader("Location") or "",
                      retry_after=response.getheader("Retry-After") or "",
                      page=b"<html" in text.lower() and b"</html>" in text.lower())
    except OSError as error:  # includes RemoteDisconnected, resets, timeouts
        result.update(status="broken", error=repr(error))
    except http.client.HTTPException as error:
        result.update(status="broken", error=repr(error))
    finally:
        conn.close()
    result["ms"] = (time.time() - started) * 1000
    return result

def booking(url, line, key, type_id):
    token, csrf, block = line.split("\t")
    body = urllib.parse.urlencode({"_csrf": csrf, "booking_key": key, "appointment_type": type_id,
                                   "reason": "Fault test visit", "patient_notes": ""})
    result = post(url, "/patient/book/" + block, body, "session=" + token)
    result.update(kind="book", block=int(block), token=token, key=key)
    return result

def load(url, list_path, out_path, seconds, threads, type_id, login=None, stop_file=None):
    lines = [l.rstrip("\n") for l in open(list_path) if l.strip()]
    lock, results, counter = threading.Lock(), [], [0]
    deadline = time.time() + seconds
    emails = [l.strip() for l in open(login[0])] if login else []

    def worker(n):
        while time.time() < deadline and not (stop_file and os.path.exists(stop_file)):
            with lock:
                i = counter[0]
                counter[0] += 1
            if login and i % 4 == 3:
                body = urllib.parse.urlencode({"email": emails[i % len(emails)], "password": login[1],
                                               "_csrf": login[3], "next": ""})
                result = post(url, "/login", body, "csrf=" + login[2])
                result["kind"] = "login"
            else:
                if i >= len(lines):
                    break
                result = booking(url, lines[i], "fault-%d-%d" % (i, int(time.time() * 1000)), type_id)
            with lock:
                results.append(result)
            if result["status"] == "refused":
                time.sleep(0.05)  # server down: do not spin

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    [t.start() for t in pool]
    [t.join() for t in pool]
    with open(out_path, "w") as out:
        for result in results:
            out.write(json.dumps(result) + "\n")

def race(url, list_path, out_path, type_id):
    lines = [l.rstrip("\n") for l in open(list_path) if l.strip()]
    barrier = threading.Barrier(len(lines))
    results = [None] * len(lines)

    def worker(i):
        barrier.wait()
        results[i] = booking(url, lines[i], "race-%d-%d" % (i, int(time.time() * 1000)), type_id)

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(len(lines))]
    [t.start() for t in pool]
    [t.join() for t in pool]
    with open(out_path, "w") as out:
        for result in results:
            out.write(json.dumps(result) + "\n")

if __name__ == "__main__":
    if sys.argv[1] == "load":
        login, stop_file, options = None, None, sys.argv[8:]
        while options:
            if options[0] == "--login" and len(options) >= 5:
                login, options = options[1:5], options[5:]
            elif options[0] == "--stop-file" and len(options) >= 2:
                stop_file, options = options[1], options[2:]
            else:
                sys.exit(__doc__)
        load(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]), int(sys.argv[6]), sys.argv[7], login, stop_file)
    elif sys.argv[1] == "race":
        race(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5])
    else:
        sys.exit(__doc__)

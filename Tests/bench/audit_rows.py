#!/usr/bin/env python3
"""Writes N pre-sealed audit_log rows as COPY text on stdout (Tests/bench/run.sh seeds 1,000,000).

Each row carries the hash chain exactly as Sources/Storage/AuditStore.swift seals it: SHA-256 (hex)
of the JSON array (Swift JSONEncoder form: no spaces, "/" escaped) of
[position, id, at in epoch microseconds, actor id or "", role, action, entity, entity id, ip,
 details as PostgreSQL prints the jsonb, previous hash], the first row's previous hash being "".
So the portal's verifier accepts the seeded chain and its sealer simply continues it.

usage: audit_rows.py COUNT FIRST_ID FIRST_POSITION PREVIOUS_HASH PATIENT_IDS DOCTOR_USER_IDS
  (id lists as lo-hi ranges; the time stamps spread over the 365 days before now)
"""
import hashlib, json, sys, time

count, first_id, first_position = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
previous = sys.argv[4] if sys.argv[4] != "-" else ""
p_lo, p_hi = map(int, sys.argv[5].split("-"))
d_lo, d_hi = map(int, sys.argv[6].split("-"))
patients, doctors = p_hi - p_lo + 1, d_hi - d_lo + 1

now_us = int(time.time()) * 1_000_000
start_us = now_us - 365 * 86_400 * 1_000_000
step = (now_us - start_us) // count

def stamp(us):
    seconds, micros = divmod(us, 1_000_000)
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seconds)) + ".%06d+00" % micros

def copy_text(value):
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")

out = sys.stdout
buffer = []
for i in range(count):
    row_id, position, at_us = first_id + i, first_position + i, start_us + i * step
    kind = i % 10
    if kind < 4:    # a patient books
        actor, role, action, entity = p_lo + (i * 7919) % patients, "patient", "appointment.booked", "appointment"
        entity_id = str(1 + i // 5)
        details = '{"block": "%d", "doctor": "%d", "status": "confirmed"}' % (1 + (i * 31) % 300000, 1 + i % 60)
    elif kind < 8:  # someone signs in
        actor, role, action, entity = p_lo + (i * 104729) % patients, "patient", "auth.login", "user"
        entity_id, details = str(actor), "{}"
    elif kind == 8: # a doctor moves an appointment on
        actor, role, action, entity = d_lo + i % doctors, "doctor", "appointment.status_changed", "appointment"
        entity_id = str(1 + i // 7)
        details = '{"to": "completed", "from": "confirmed"}'
    else:           # a failed sign-in
        actor, role, action, entity = None, "anonymous", "auth.login_failed", "user"
        entity_id, details = "", '{"email": "nobody%d@bench.test", "reason": "unknown_email"}' % i
    ip = "10.%d.%d.%d" % (i % 200, (i // 200) % 250, 1 + i % 250)
    fields = [str(position), str(row_id), str(at_us), "" if actor is None else str(actor), role, action, entity,
              entity_id, ip, details, previous]
    canonical = json.dumps(fields, separators=(",", ":"), ensure_ascii=False).replace("/", "\\/")
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    buffer.append("\t".join([str(row_id), stamp(at_us), "\\N" if actor is None else str(actor), role, action, entity,
                             entity_id, ip, copy_text(details), str(position), previous if previous else "", digest]))
    previous = digest
    if len(buffer) >= 10000:
        out.write("\n".join(buffer) + "\n")
        buffer.clear()
if buffer:
    out.write("\n".join(buffer) + "\n")

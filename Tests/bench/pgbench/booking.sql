-- The SQL of POST /patient/book/{blockId} (App+Booking.book), in order: session lookup; the form checks
-- outside the transaction (AppointmentStore.bookingTarget, bookingContext, bookableTypes); then the
-- booking transaction (AppointmentStore.book): lock the block, lock the patient, look for the booking
-- key, re-read the context, insert the appointment (the trigger bumps time_blocks.booked), audit.
-- Each transaction takes the next (block, patient) of bench_queue, a list of free blocks disjoint from
-- the one wrk books (Tests/bench/portal.sh fills it), so every transaction is a real booking.
SELECT q.seq, q.block_id, q.patient_id FROM (SELECT nextval('bench_queue_seq') AS n) s JOIN bench_queue q ON q.seq = s.n \gset
SELECT s.token_hash, s.csrf_secret, s.created_at, s.last_seen_at, u.id, u.role, u.email::text AS email, u.password_hash, u.full_name, u.phone, u.date_of_birth, u.active, u.must_change_password, u.failed_logins, u.locked_until, u.created_at
FROM sessions s JOIN users u ON u.id = s.user_id
WHERE s.token_hash = encode(sha256(convert_to('bench-u-' || :patient_id, 'UTF8')), 'hex') AND s.expires_at > now()
  AND s.last_seen_at > now() - interval '30 minutes' AND u.active;
-- SessionStore.find then touches last_seen_at when it is over a minute old (so at most once a minute per session).
UPDATE sessions SET last_seen_at = now()
WHERE token_hash = encode(sha256(convert_to('bench-u-' || :patient_id, 'UTF8')), 'hex') AND last_seen_at < now() - interval '1 minute';
SELECT b.id, b.doctor_id, du.full_name AS doctor_name, b.starts_at, b.ends_at, b.capacity, b.booked, b.open,
       c.id AS clinic_id, c.name AS clinic_name, c.address, c.phone, c.timezone, c.buffer_minutes, c.min_lead_minutes,
       c.horizon_days, c.late_cancel_hours, c.allow_late_cancel, c.bookings_start_confirmed, c.max_open_bookings
FROM time_blocks b JOIN clinics c ON c.id = b.clinic_id
JOIN doctors d ON d.id = b.doctor_id JOIN users du ON du.id = d.user_id
WHERE b.id = :block_id AND du.active \gset
SELECT starts_at, ends_at FROM time_off
WHERE doctor_id = :doctor_id AND tstzrange(starts_at, ends_at) && tstzrange(:starts_at::timestamptz, :ends_at::timestamptz);
SELECT id, time_block_id, starts_at, ends_at FROM appointments
WHERE doctor_id = :doctor_id AND status IN ('pending', 'confirmed', 'arrived', 'in_progress', 'completed')
  AND tstzrange(starts_at, ends_at) && tstzrange(:starts_at::timestamptz, :ends_at::timestamptz);
SELECT starts_at, ends_at FROM appointments
WHERE patient_id = :patient_id AND status IN ('pending', 'confirmed', 'arrived', 'in_progress', 'completed')
  AND tstzrange(starts_at, ends_at) && tstzrange(:starts_at::timestamptz, :ends_at::timestamptz)
  AND (NULL::bigint IS NULL OR id <> NULL::bigint);
SELECT count(*)::int AS n FROM appointments
WHERE patient_id = :patient_id AND clinic_id = :clinic_id AND status IN ('pending', 'confirmed')
  AND starts_at > now() AND (NULL::bigint IS NULL OR id <> NULL::bigint);
SELECT id, name, min_minutes, max_minutes FROM appointment_types WHERE bookable_online ORDER BY name, id;
BEGIN;
SELECT b.id, b.doctor_id, du.full_name AS doctor_name, b.starts_at, b.ends_at, b.capacity, b.booked, b.open,
       c.id AS clinic_id, c.name AS clinic_name, c.address, c.phone, c.timezone, c.buffer_minutes, c.min_lead_minutes,
       c.horizon_days, c.late_cancel_hours, c.allow_late_cancel, c.bookings_start_confirmed, c.max_open_bookings
FROM time_blocks b JOIN clinics c ON c.id = b.clinic_id
JOIN doctors d ON d.id = b.doctor_id JOIN users du ON du.id = d.user_id
WHERE b.id = :block_id AND du.active FOR UPDATE OF b;
SELECT id FROM users WHERE id = :patient_id FOR NO KEY UPDATE;
SELECT id FROM appointments WHERE patient_id = :patient_id AND booking_key = 'pgbench-' || :seq;
SELECT starts_at, ends_at FROM time_off
WHERE doctor_id = :doctor_id AND tstzrange(starts_at, ends_at) && tstzrange(:starts_at::timestamptz, :ends_at::timestamptz);
SELECT id, time_block_id, starts_at, ends_at FROM appointments
WHERE doctor_id = :doctor_id AND status IN ('pending', 'confirmed', 'arrived', 'in_progress', 'completed')
  AND tstzrange(starts_at, ends_at) && tstzrange(:starts_at::timestamptz, :ends_at::timestamptz);
SELECT starts_at, ends_at FROM appointments
WHERE patient_id = :patient_id AND status IN ('pending', 'confirmed', 'arrived', 'in_progress', 'completed')
  AND tstzrange(starts_at, ends_at) && tstzrange(:starts_at::timestamptz, :ends_at::timestamptz)
  AND (NULL::bigint IS NULL OR id <> NULL::bigint);
SELECT count(*)::int AS n FROM appointments
WHERE patient_id = :patient_id AND clinic_id = :clinic_id AND status IN ('pending', 'confirmed')
  AND starts_at > now() AND (NULL::bigint IS NULL OR id <> NULL::bigint);
INSERT INTO appointments (time_block_id, patient_id, doctor_id, clinic_id, appointment_type_id, starts_at, ends_at,
                          status, reason, patient_notes, source, booking_key, created_at, updated_at)
VALUES (:block_id, :patient_id, :doctor_id, :clinic_id, (SELECT min(id) FROM appointment_types), :starts_at::timestamptz,
        :ends_at::timestamptz, 'confirmed', 'Benchmark visit', '', 'portal', 'pgbench-' || :seq, now(), now())
RETURNING id AS appointment_id \gset
INSERT INTO audit_log (actor_id, actor_role, action, entity, entity_id, ip, details)
VALUES (:patient_id, 'patient', 'appointment.booked', 'appointment', :appointment_id::text, '127.0.0.1',
        ('{"block": "' || :block_id || '", "doctor": "' || :doctor_id || '", "status": "confirmed"}')::jsonb);
COMMIT;

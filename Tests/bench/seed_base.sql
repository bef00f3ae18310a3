-- Seeds a realistic Clinic Portal data set straight into a migrated database, set-based and fast.
-- psql variables (all required):
--   hash           one argon2id PHC string every seeded account shares (hashing 20,000 passwords would take minutes)
--   past_days      days of history with blocks (the future always has future_days)
--   future_days    days of blocks ahead (beyond the clinics' 90-day horizon is fine)
--   patients       patient accounts patient1..N@bench.test; patients above 15000 have no future bookings
--                  (the booking benchmark books for them, so the per-clinic open-booking limit never trips)
-- Layout: 3 clinics in three zones, 20 doctors each, Monday to Friday 08:00-18:00 local, 30-minute blocks.
-- Loaded with session_replication_role = replica: foreign-key and counting triggers are skipped (the rows
-- are consistent by construction) and time_blocks.booked is set once at the end. CHECK, UNIQUE and
-- EXCLUDE constraints still apply, so the data set obeys every rule the portal relies on.
\set ON_ERROR_STOP 1
SET session_replication_role = replica;
SET synchronous_commit = off;
SET maintenance_work_mem = '256MB';
BEGIN;

INSERT INTO clinics (name, address, phone, timezone, buffer_minutes, min_lead_minutes, horizon_days,
                     late_cancel_hours, allow_late_cancel, bookings_start_confirmed, max_open_bookings)
VALUES ('Harbour Clinic', '1 Quay Street', '+49 30 1000', 'Europe/Berlin', 0, 120, 90, 24, false, true, 5),
       ('Hudson Medical', '200 West Street', '+1 212 555 0100', 'America/New_York', 0, 120, 90, 24, true, true, 5),
       ('Sakura Health', '3-1 Marunouchi', '+81 3 5555 0100', 'Asia/Tokyo', 0, 120, 90, 24, false, false, 5);

INSERT INTO appointment_types (name, default_minutes, min_minutes, max_minutes, bookable_online)
VALUES ('Consultation', 30, 15, 60, true), ('Follow-up', 15, 10, 30, true), ('Procedure', 120, 60, 240, false)
ON CONFLICT (name) DO NOTHING;

INSERT INTO users (role, email, password_hash, full_name, phone)
SELECT 'doctor', 'doctor' || n || '@bench.test', :'hash', 'Doctor ' || n, '+1 555 01' || lpad(n::text, 2, '0')
FROM generate_series(1, 60) n;
INSERT INTO doctors (user_id, specialty, bio)
SELECT u.id, (ARRAY['Cardiology', 'Dermatology', 'General practice', 'Paediatrics', 'Orthopaedics', 'Neurology'])[1 + n % 6],
       'Seeded doctor ' || n
FROM generate_series(1, 60) n JOIN users u ON u.email = ('doctor' || n || '@bench.test')::citext;
-- Doctor n works at clinic 1 + (n - 1) / 20 (by clinic id order).
INSERT INTO doctor_clinics (doctor_id, clinic_id)
SELECT d.id, c.id
FROM doctors d JOIN users u ON u.id = d.user_id
JOIN LATERAL (SELECT id FROM clinics ORDER BY id OFFSET (split_part(split_part(u.email::text, '@', 1), 'doctor', 2)::int - 1) / 20 LIMIT 1) c ON true
WHERE u.email::text LIKE 'doctor%@bench.test';

INSERT INTO users (role, email, password_hash, full_name, phone, date_of_birth)
SELECT 'patient', 'patient' || n || '@bench.test', :'hash', 'Patient ' || n, '+1 555 2' || lpad(n::text, 6, '0'),
       date '1950-01-01' + (n * 7919 % 20000)
FROM generate_series(1, :patients) n;

INSERT INTO weekly_patterns (doctor_id, clinic_id, weekday, start_time, end_time, slot_minutes, capacity, valid_from)
SELECT dc.doctor_id, dc.clinic_id, wd, time '08:00', time '18:00', 30, 1, current_date - :past_days
FROM doctor_clinics dc CROSS JOIN generate_series(1, 5) wd;

-- The GiST exclusion index is built once after the load instead of row by row (several times faster);
-- it is re-created from its own catalogue definition, so the schema ends exactly as migrated.
CREATE TEMP TABLE saved_ddl AS
SELECT 'ALTER TABLE ' || conrelid::regclass || ' ADD CONSTRAINT ' || quote_ident(conname) || ' ' || pg_get_constraintdef(oid) AS ddl
FROM pg_constraint WHERE conname = 'time_blocks_no_overlap';
ALTER TABLE time_blocks DROP CONSTRAINT time_blocks_no_overlap;

-- Blocks: every weekday of [today - past_days, today + future_days], 20 per doctor and day, in the clinic's zone.
INSERT INTO time_blocks (doctor_id, clinic_id, pattern_id, starts_at, ends_at, capacity, booked, open)
SELECT p.doctor_id, p.clinic_id, p.id, s.t, s.t + interval '30 minutes', 1, 0, true
FROM weekly_patterns p JOIN clinics c ON c.id = p.clinic_id
CROSS JOIN generate_series(current_date - :past_days, current_date + :future_days, interval '1 day') day
CROSS JOIN generate_series(0, 19) k
CROSS JOIN LATERAL (SELECT (day::date + time '08:00' + k * interval '30 minutes') AT TIME ZONE c.timezone AS t) s
WHERE extract(isodow FROM day) = p.weekday;

SELECT ddl FROM saved_ddl \gexec

-- Time off on Saturdays (no blocks then): present, so the overlap queries do real work, without hiding slots.
INSERT INTO time_off (doctor_id, starts_at, ends_at, reason)
SELECT d.id, (day::date + time '09:00') AT TIME ZONE 'UTC', (day::date + time '13:00') AT TIME ZONE 'UTC', 'Training'
FROM doctors d CROSS JOIN generate_series(current_date - :past_days, current_date + :future_days, interval '1 day') day
WHERE extract(isodow FROM day) = 6 AND (d.id + extract(week FROM day)::int) % 4 = 0;

COMMIT;
SET session_replication_role = origin;

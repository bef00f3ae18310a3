-- Adds appointments to a database seeded by seed_base.sql (or a copy of it).
-- psql variables:
--   past_appts     appointments in past blocks (completed / cancelled / no-show), patients round robin
--   past_capacity  seats of a past block (1 normally; the 1,000,000-appointment set uses 10-seat group
--                  blocks so a year of blocks can hold them)
--   future_appts   appointments in future blocks (confirmed / pending / cancelled), only for patients 1..15000
-- Spread evenly over the blocks (every k-th seat in time order); patients are assigned round robin in time
-- order, so a patient's appointments are thousands of seats apart (at most 60 blocks share a start time) and
-- the no-overlap rule holds. Loaded with session_replication_role = replica (no per-row FK and counting
-- triggers; time_blocks.booked is set once at the end) and the GiST indexes built after the load; they
-- are re-created from their own catalogue definitions, so the schema ends exactly as migrated.
\set ON_ERROR_STOP 1
SET session_replication_role = replica;
SET synchronous_commit = off;
SET maintenance_work_mem = '256MB';
BEGIN;

-- Every secondary index of appointments (and the blocks' exclusion index, touched by the booked update)
-- is dropped and rebuilt after the load: a sorted build is several times faster than a million inserts.
CREATE TEMP TABLE saved_ddl AS
SELECT 'ALTER TABLE ' || conrelid::regclass || ' ADD CONSTRAINT ' || quote_ident(conname) || ' ' || pg_get_constraintdef(oid) AS ddl,
       'ALTER TABLE ' || conrelid::regclass || ' DROP CONSTRAINT ' || quote_ident(conname) AS undo
FROM pg_constraint
WHERE (conrelid = 'appointments'::regclass AND contype IN ('u', 'x')) OR conname = 'time_blocks_no_overlap'
UNION ALL
SELECT pg_get_indexdef(i.indexrelid), 'DROP INDEX ' || i.indexrelid::regclass
FROM pg_index i
WHERE i.indrelid = 'appointments'::regclass AND NOT i.indisprimary
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid);
SELECT undo FROM saved_ddl \gexec

CREATE TEMP TABLE chosen AS
WITH past AS (
    SELECT b.id, b.doctor_id, b.clinic_id, b.starts_at, b.ends_at,
           row_number() OVER (ORDER BY starts_at, id, seat) AS rn, count(*) OVER () AS total
    FROM time_blocks b CROSS JOIN generate_series(1, :past_capacity) seat
    WHERE starts_at < now() - interval '1 day'
), future AS (
    SELECT b.id, b.doctor_id, b.clinic_id, b.starts_at, b.ends_at,
           row_number() OVER (ORDER BY starts_at, id) AS rn, count(*) OVER () AS total
    FROM time_blocks b WHERE starts_at > now() + interval '1 day'
)
SELECT id, doctor_id, clinic_id, starts_at, ends_at, false AS upcoming, rn FROM past
WHERE (rn * :past_appts) / total <> ((rn - 1) * :past_appts) / total
UNION ALL
SELECT id, doctor_id, clinic_id, starts_at, ends_at, true, rn FROM future
WHERE (rn * :future_appts) / total <> ((rn - 1) * :future_appts) / total;

CREATE TEMP TABLE patient_ids AS
SELECT u.id, row_number() OVER (ORDER BY u.id) - 1 AS idx FROM users u
WHERE u.role = 'patient' AND u.email::text LIKE 'patient%@bench.test';

INSERT INTO appointments (time_block_id, patient_id, doctor_id, clinic_id, appointment_type_id, starts_at, ends_at,
                          status, reason, patient_notes, source, booking_key, created_at, updated_at)
SELECT ch.id, p.id, ch.doctor_id, ch.clinic_id, (SELECT id FROM appointment_types WHERE name = 'Consultation'),
       ch.starts_at, ch.ends_at,
       CASE WHEN ch.upcoming THEN (CASE WHEN ch.rn % 10 = 0 THEN 'cancelled' WHEN ch.rn % 5 = 0 THEN 'pending' ELSE 'confirmed' END)
            ELSE (CASE WHEN ch.rn % 13 = 0 THEN 'cancelled' WHEN ch.rn % 14 = 0 THEN 'no_show' ELSE 'completed' END) END,
       'Seeded visit ' || ch.rn, '', 'portal', 'seed-' || ch.rn || '-' || ch.upcoming,
       ch.starts_at - interval '14 days', ch.starts_at - interval '14 days'
FROM chosen ch
JOIN patient_ids p ON p.idx = CASE WHEN ch.upcoming THEN ch.rn % least(15000, (SELECT count(*) FROM patient_ids))
                                   ELSE ch.rn % (SELECT count(*) FROM patient_ids) END;

UPDATE time_blocks b SET booked = x.n, capacity = greatest(b.capacity, x.seats)
FROM (SELECT time_block_id, count(*) FILTER (WHERE appointment_is_active(status))::int AS n, count(*)::int AS seats
      FROM appointments GROUP BY 1) x
WHERE b.id = x.time_block_id AND (x.n > 0 OR x.seats > b.capacity);

SELECT ddl FROM saved_ddl \gexec
COMMIT;
SET session_replication_role = origin;

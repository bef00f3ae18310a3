-- The SQL of GET /doctor?date=D (App+DoctorViews.doctorDay): session lookup (SessionStore.find),
-- the doctor's profile and clinics (PracticeStore.doctor), the day's appointments with their names
-- (AppointmentStore.forDoctor over the ±14 h window around the UTC day).
-- -D doctor_lo/doctor_hi: doctors' user ids (their session tokens are bench-u-<user id>); -D days: history depth.
\set uid random(:doctor_lo, :doctor_hi)
\set back random(1, :days)
SELECT s.token_hash, s.csrf_secret, s.created_at, s.last_seen_at, u.id, u.role, u.email::text AS email, u.password_hash, u.full_name, u.phone, u.date_of_birth, u.active, u.must_change_password, u.failed_logins, u.locked_until, u.created_at
FROM sessions s JOIN users u ON u.id = s.user_id
WHERE s.token_hash = encode(sha256(convert_to('bench-u-' || :uid, 'UTF8')), 'hex') AND s.expires_at > now()
  AND s.last_seen_at > now() - interval '30 minutes' AND u.active;
-- SessionStore.find then touches last_seen_at when it is over a minute old (so at most once a minute per session).
UPDATE sessions SET last_seen_at = now()
WHERE token_hash = encode(sha256(convert_to('bench-u-' || :uid, 'UTF8')), 'hex') AND last_seen_at < now() - interval '1 minute';
SELECT d.id, d.user_id, u.full_name, u.email::text AS email, d.specialty, d.bio
FROM doctors d JOIN users u ON u.id = d.user_id WHERE d.user_id = :uid;
SELECT c.id, c.name, c.timezone FROM doctor_clinics dc JOIN clinics c ON c.id = dc.clinic_id
WHERE dc.doctor_id = (SELECT id FROM doctors WHERE user_id = :uid) ORDER BY c.name, c.id;
SELECT a.id, a.time_block_id, a.patient_id, pu.full_name AS patient_name, a.doctor_id, du.full_name AS doctor_name,
       a.clinic_id, c.name AS clinic_name, c.address AS clinic_address, c.phone AS clinic_phone, c.timezone AS clinic_timezone,
       a.appointment_type_id, t.name AS type_name, a.starts_at, a.ends_at, a.status, a.reason, a.patient_notes,
       a.doctor_notes, a.cancel_reason, a.cancelled_late, a.source, a.version, a.created_at, a.updated_at
FROM appointments a
JOIN users pu ON pu.id = a.patient_id
JOIN doctors d ON d.id = a.doctor_id JOIN users du ON du.id = d.user_id
JOIN clinics c ON c.id = a.clinic_id
LEFT JOIN appointment_types t ON t.id = a.appointment_type_id
WHERE a.doctor_id = (SELECT id FROM doctors WHERE user_id = :uid)
  AND a.starts_at >= (current_date - :back::int)::timestamptz - interval '14 hours'
  AND a.starts_at < (current_date - :back::int + 1)::timestamptz + interval '14 hours'
ORDER BY a.starts_at, a.id;

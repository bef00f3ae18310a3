-- The SQL of GET /doctors/{id}?week=W (App+Directory.doctorWeek, anonymous): the doctor
-- (DirectoryStore.doctor + clinics), the week's bookable blocks with booked counts and policy, then the
-- doctor's time off and active appointments around them (DirectoryStore.bookableBlocks).
-- -D doctor_lo/doctor_hi: doctor ids; weeks 1..12 ahead.
\set d random(:doctor_lo, :doctor_hi)
\set w random(1, 12)
SELECT d.id, u.full_name, d.specialty, d.bio FROM doctors d JOIN users u ON u.id = d.user_id WHERE d.id = :d AND u.active;
SELECT dc.doctor_id, c.id, c.name, c.address, c.phone, c.timezone
FROM doctor_clinics dc JOIN clinics c ON c.id = dc.clinic_id
WHERE dc.doctor_id = ANY(ARRAY[:d]::bigint[]) ORDER BY c.name, c.id;
SELECT b.id, b.clinic_id, c.name AS clinic_name, c.timezone, b.starts_at, b.ends_at, b.capacity, b.booked,
       c.buffer_minutes, c.min_lead_minutes, c.horizon_days, c.late_cancel_hours, c.allow_late_cancel,
       c.bookings_start_confirmed, c.max_open_bookings
FROM time_blocks b JOIN clinics c ON c.id = b.clinic_id
WHERE b.doctor_id = :d AND b.starts_at >= date_trunc('week', now()) + :w * interval '7 days'
  AND b.starts_at < date_trunc('week', now()) + (:w + 1) * interval '7 days'
  AND b.starts_at > now() AND b.open AND b.booked < b.capacity
ORDER BY b.starts_at, b.id;
SELECT starts_at, ends_at FROM time_off
WHERE doctor_id = :d AND tstzrange(starts_at, ends_at) && tstzrange(date_trunc('week', now()) + :w * interval '7 days',
                                                                    date_trunc('week', now()) + (:w + 1) * interval '7 days');
SELECT id, time_block_id, starts_at, ends_at FROM appointments
WHERE doctor_id = :d AND status IN ('pending', 'confirmed', 'arrived', 'in_progress', 'completed')
  AND tstzrange(starts_at, ends_at) && tstzrange(date_trunc('week', now()) + :w * interval '7 days',
                                                 date_trunc('week', now()) + (:w + 1) * interval '7 days');

-- Indexes for patient self-booking (issue 6).
--
-- The buffer rule asks "does the doctor hold an active appointment within N minutes of this
-- block?". A range index answers it for one block or a whole week without scanning the
-- doctor's history; its predicate matches appointment_is_active so only seats that count
-- are indexed.
CREATE INDEX appointments_doctor_active_range_idx ON appointments
    USING gist (doctor_id, tstzrange(starts_at, ends_at))
    WHERE status IN ('pending', 'confirmed', 'arrived', 'in_progress', 'completed');

-- Time off is found by overlap with a block or a week for the same reason.
CREATE INDEX time_off_doctor_range_idx ON time_off USING gist (doctor_id, tstzrange(starts_at, ends_at));

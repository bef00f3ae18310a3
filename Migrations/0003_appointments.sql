-- Appointments and the waitlist. Capacity and "no two overlapping active appointments
-- per patient" are enforced here, so no race in application code can double-book.

CREATE TABLE appointments (
    id                  bigserial PRIMARY KEY,
    time_block_id       bigint NOT NULL REFERENCES time_blocks (id) ON DELETE RESTRICT,
    patient_id          bigint NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    doctor_id           bigint NOT NULL REFERENCES doctors (id) ON DELETE RESTRICT,
    clinic_id           bigint NOT NULL REFERENCES clinics (id) ON DELETE RESTRICT,
    appointment_type_id bigint REFERENCES appointment_types (id) ON DELETE RESTRICT,
    starts_at           timestamptz NOT NULL,
    ends_at             timestamptz NOT NULL,
    status              text NOT NULL CHECK (status IN ('pending', 'confirmed', 'arrived', 'in_progress', 'completed', 'cancelled', 'no_show')),
    reason              text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    patient_notes       text NOT NULL DEFAULT '' CHECK (length(patient_notes) <= 2000),
    doctor_notes        text NOT NULL DEFAULT '' CHECK (length(doctor_notes) <= 5000),
    cancel_reason       text CHECK (length(cancel_reason) <= 500),
    cancelled_by        bigint REFERENCES users (id) ON DELETE RESTRICT,
    cancelled_late      boolean NOT NULL DEFAULT false,
    source              text NOT NULL DEFAULT 'portal' CHECK (source IN ('portal', 'staff')),
    booking_key         text,
    version             integer NOT NULL DEFAULT 1,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT appointments_time_order CHECK (ends_at > starts_at),
    -- A double-submitted booking form carries the same key: the second insert is refused.
    CONSTRAINT appointments_booking_key_unique UNIQUE (patient_id, booking_key),
    CONSTRAINT appointments_patient_no_overlap EXCLUDE USING gist (
        patient_id WITH =, tstzrange(starts_at, ends_at) WITH &&
    ) WHERE (status IN ('pending', 'confirmed', 'arrived', 'in_progress', 'completed'))
);
CREATE INDEX appointments_patient_starts_idx ON appointments (patient_id, starts_at);
CREATE INDEX appointments_doctor_starts_idx ON appointments (doctor_id, starts_at);
CREATE INDEX appointments_block_idx ON appointments (time_block_id);
CREATE INDEX appointments_clinic_starts_idx ON appointments (clinic_id, starts_at);

CREATE FUNCTION appointment_is_active(status text) RETURNS boolean
    LANGUAGE sql IMMUTABLE AS $$
    SELECT status IN ('pending', 'confirmed', 'arrived', 'in_progress', 'completed')
$$;

-- Keeps time_blocks.booked equal to the number of active appointments in the block.
CREATE FUNCTION appointments_count_booked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF appointment_is_active(NEW.status) THEN
            UPDATE time_blocks SET booked = booked + 1 WHERE id = NEW.time_block_id;
        END IF;
    ELSIF TG_OP = 'UPDATE' THEN
        IF appointment_is_active(OLD.status) AND NOT appointment_is_active(NEW.status) THEN
            UPDATE time_blocks SET booked = booked - 1 WHERE id = OLD.time_block_id;
        ELSIF NOT appointment_is_active(OLD.status) AND appointment_is_active(NEW.status) THEN
            UPDATE time_blocks SET booked = booked + 1 WHERE id = NEW.time_block_id;
        END IF;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER appointments_count_booked
    AFTER INSERT OR UPDATE OF status ON appointments
    FOR EACH ROW EXECUTE FUNCTION appointments_count_booked();

CREATE TABLE waitlist_entries (
    id           bigserial PRIMARY KEY,
    patient_id   bigint NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    doctor_id    bigint REFERENCES doctors (id) ON DELETE RESTRICT,
    specialty    text,
    window_start timestamptz NOT NULL,
    window_end   timestamptz NOT NULL,
    status       text NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'offered', 'booked', 'expired', 'withdrawn')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT waitlist_target CHECK (doctor_id IS NOT NULL OR specialty IS NOT NULL),
    CONSTRAINT waitlist_window_order CHECK (window_end > window_start)
);

-- Clinics with their booking policy, appointment types, doctors and their availability.

CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE clinics (
    id                        bigserial PRIMARY KEY,
    name                      text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    address                   text NOT NULL DEFAULT '' CHECK (length(address) <= 500),
    phone                     text NOT NULL DEFAULT '' CHECK (length(phone) <= 40),
    timezone                  text NOT NULL CHECK (length(timezone) BETWEEN 1 AND 64),
    buffer_minutes            integer NOT NULL DEFAULT 0 CHECK (buffer_minutes BETWEEN 0 AND 240),
    min_lead_minutes          integer NOT NULL DEFAULT 120 CHECK (min_lead_minutes BETWEEN 0 AND 43200),
    horizon_days              integer NOT NULL DEFAULT 90 CHECK (horizon_days BETWEEN 1 AND 730),
    late_cancel_hours         integer NOT NULL DEFAULT 24 CHECK (late_cancel_hours BETWEEN 0 AND 720),
    allow_late_cancel         boolean NOT NULL DEFAULT false,
    bookings_start_confirmed  boolean NOT NULL DEFAULT false,
    max_open_bookings         integer NOT NULL DEFAULT 5 CHECK (max_open_bookings BETWEEN 1 AND 100),
    created_at                timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT clinics_name_unique UNIQUE (name)
);

CREATE TABLE appointment_types (
    id                bigserial PRIMARY KEY,
    name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    default_minutes   integer NOT NULL CHECK (default_minutes > 0),
    min_minutes       integer NOT NULL CHECK (min_minutes > 0),
    max_minutes       integer NOT NULL,
    bookable_online   boolean NOT NULL DEFAULT true,
    CONSTRAINT appointment_types_name_unique UNIQUE (name),
    CONSTRAINT appointment_types_range CHECK (min_minutes <= default_minutes AND default_minutes <= max_minutes AND max_minutes <= 480)
);

CREATE TABLE doctors (
    id         bigserial PRIMARY KEY,
    user_id    bigint NOT NULL UNIQUE REFERENCES users (id) ON DELETE RESTRICT,
    specialty  text NOT NULL CHECK (length(specialty) BETWEEN 1 AND 100),
    bio        text NOT NULL DEFAULT '' CHECK (length(bio) <= 2000)
);
CREATE INDEX doctors_specialty_idx ON doctors (lower(specialty));

CREATE TABLE doctor_clinics (
    doctor_id  bigint NOT NULL REFERENCES doctors (id) ON DELETE RESTRICT,
    clinic_id  bigint NOT NULL REFERENCES clinics (id) ON DELETE RESTRICT,
    PRIMARY KEY (doctor_id, clinic_id)
);

CREATE TABLE weekly_patterns (
    id            bigserial PRIMARY KEY,
    doctor_id     bigint NOT NULL REFERENCES doctors (id) ON DELETE RESTRICT,
    clinic_id     bigint NOT NULL REFERENCES clinics (id) ON DELETE RESTRICT,
    weekday       smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),  -- ISO: 1 = Monday
    start_time    time NOT NULL,
    end_time      time NOT NULL,
    slot_minutes  integer NOT NULL CHECK (slot_minutes BETWEEN 5 AND 480),
    capacity      integer NOT NULL DEFAULT 1 CHECK (capacity BETWEEN 1 AND 100),
    valid_from    date NOT NULL,
    valid_to      date,
    CONSTRAINT weekly_patterns_time_order CHECK (end_time > start_time),
    CONSTRAINT weekly_patterns_valid_order CHECK (valid_to IS NULL OR valid_to >= valid_from),
    FOREIGN KEY (doctor_id, clinic_id) REFERENCES doctor_clinics (doctor_id, clinic_id) ON DELETE RESTRICT
);

-- The bookable unit. booked counts active appointments and is kept by a trigger on
-- appointments; the CHECK makes "never more than capacity" a database fact, and the
-- row lock the trigger's UPDATE takes serialises concurrent bookings of one block.
CREATE TABLE time_blocks (
    id          bigserial PRIMARY KEY,
    doctor_id   bigint NOT NULL REFERENCES doctors (id) ON DELETE RESTRICT,
    clinic_id   bigint NOT NULL REFERENCES clinics (id) ON DELETE RESTRICT,
    pattern_id  bigint REFERENCES weekly_patterns (id) ON DELETE SET NULL,
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL,
    capacity    integer NOT NULL DEFAULT 1,
    booked      integer NOT NULL DEFAULT 0,
    open        boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT time_blocks_time_order CHECK (ends_at > starts_at),
    CONSTRAINT time_blocks_capacity_positive CHECK (capacity BETWEEN 1 AND 100),
    CONSTRAINT time_blocks_booked_within_capacity CHECK (booked BETWEEN 0 AND capacity),
    CONSTRAINT time_blocks_no_overlap EXCLUDE USING gist (
        doctor_id WITH =, tstzrange(starts_at, ends_at) WITH &&
    )
);
CREATE INDEX time_blocks_open_starts_idx ON time_blocks (starts_at) WHERE open;
CREATE INDEX time_blocks_doctor_starts_idx ON time_blocks (doctor_id, starts_at);

CREATE TABLE time_off (
    id          bigserial PRIMARY KEY,
    doctor_id   bigint NOT NULL REFERENCES doctors (id) ON DELETE RESTRICT,
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL,
    reason      text NOT NULL DEFAULT '' CHECK (length(reason) <= 500),
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT time_off_time_order CHECK (ends_at > starts_at)
);
CREATE INDEX time_off_doctor_idx ON time_off (doctor_id, starts_at);

-- Accounts, server-side sessions, throttling and the append-only audit trail.

CREATE EXTENSION IF NOT EXISTS citext;

CREATE TABLE users (
    id                    bigserial PRIMARY KEY,
    role                  text NOT NULL CHECK (role IN ('patient', 'doctor', 'admin')),
    email                 citext NOT NULL,
    password_hash         text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    full_name             text NOT NULL CHECK (length(full_name) BETWEEN 1 AND 200),
    phone                 text CHECK (length(phone) <= 40),
    date_of_birth         date,
    active                boolean NOT NULL DEFAULT true,
    must_change_password  boolean NOT NULL DEFAULT false,
    failed_logins         integer NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    locked_until          timestamptz,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_email_unique UNIQUE (email),
    CONSTRAINT users_email_shape CHECK (length(email) <= 254 AND email LIKE '%_@_%')
);

-- Only the SHA-256 of the cookie token is stored: a leaked table cannot be replayed.
CREATE TABLE sessions (
    token_hash    text PRIMARY KEY,
    user_id       bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_secret   text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    ip            text NOT NULL DEFAULT '',
    user_agent    text NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

-- Failed sign-ins per client address, shared by every clinic process.
CREATE TABLE client_throttle (
    ip                text PRIMARY KEY,
    failures          integer NOT NULL DEFAULT 0,
    window_started_at timestamptz NOT NULL DEFAULT now(),
    locked_until      timestamptz
);

-- Secrets generated once per deployment (e.g. the key that signs pre-session CSRF tokens).
CREATE TABLE app_secrets (
    name   text PRIMARY KEY,
    value  text NOT NULL
);

-- Append-only. Rows are inserted unsealed (chain_position, prev_hash, hash NULL) so
-- concurrent writers never wait on one chain head; a single sealer (advisory lock)
-- later assigns chain positions and hashes in commit-visible id order.
CREATE TABLE audit_log (
    id              bigserial PRIMARY KEY,
    at              timestamptz NOT NULL DEFAULT now(),
    actor_id        bigint REFERENCES users (id) ON DELETE RESTRICT,
    actor_role      text NOT NULL DEFAULT 'anonymous',
    action          text NOT NULL,
    entity          text NOT NULL DEFAULT '',
    entity_id       text NOT NULL DEFAULT '',
    ip              text NOT NULL DEFAULT '',
    details         jsonb NOT NULL DEFAULT '{}'::jsonb,
    chain_position  bigint UNIQUE,
    prev_hash       text,
    hash            text
);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, id DESC);
CREATE INDEX audit_log_action_idx ON audit_log (action, id DESC);
CREATE INDEX audit_log_unsealed_idx ON audit_log (id) WHERE hash IS NULL;

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The one permitted update: sealing an unsealed row, touching nothing else.
    IF TG_OP = 'UPDATE'
       AND OLD.hash IS NULL AND NEW.hash IS NOT NULL AND NEW.chain_position IS NOT NULL
       AND (NEW.id, NEW.at, NEW.actor_id, NEW.actor_role, NEW.action, NEW.entity, NEW.entity_id, NEW.ip, NEW.details)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.at, OLD.actor_id, OLD.actor_role, OLD.action, OLD.entity, OLD.entity_id, OLD.ip, OLD.details)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

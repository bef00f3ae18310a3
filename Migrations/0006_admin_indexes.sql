-- Indexes for admin oversight (issue 7).
--
-- The audit page filters by entity ("every change of appointment 42") and pages newest first by
-- id; without this a rare entity would scan the whole log backwards.
CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id, id DESC);
CREATE INDEX audit_log_entity_only_idx ON audit_log (entity, id DESC);

-- The admin appointment list sorts all appointments by start when no clinic or doctor is chosen.
CREATE INDEX appointments_starts_idx ON appointments (starts_at, id);

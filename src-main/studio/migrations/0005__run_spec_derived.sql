-- A run's spec (the engine's RunSpec) is derived from its config and dataset as the run is read
-- (store/runs.ts, with run-config.ts specFor), so the two can never disagree. It stays stored only
-- for a run without them: one trained from a terminal or rebuilt from its checkpoints, whose spec
-- is all that says what it trains. The column becomes nullable (SQLite keeps NOT NULL on a column
-- for good, so it is made anew).
ALTER TABLE runs RENAME COLUMN spec TO spec_before_5;
ALTER TABLE runs ADD COLUMN spec TEXT;
UPDATE runs SET spec = spec_before_5 WHERE config IS NULL OR dataset_id IS NULL;
ALTER TABLE runs DROP COLUMN spec_before_5;

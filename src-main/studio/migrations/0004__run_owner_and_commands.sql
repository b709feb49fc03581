-- Terminal runs are studio runs: whether a run's process lives is known from the run itself, an
-- open studio shows a run another process trains as it happens, and its controls reach that process.
--  * owner_start: when the process in owner_pid started (the kernel's start time on Linux), so a
--    pid the system reused for another program is not taken for the run's owner.
--  * last_progress: the run's last progress report (the API's ProgressInfo as JSON), so a studio
--    shows ETA, throughput and memory of a run it does not train.
--  * run_commands: pause / resume / stop sent to the process that trains a run; that process reads
--    them between steps and sets done_at once the command took effect (or the run ended).

ALTER TABLE runs ADD COLUMN owner_start TEXT;
ALTER TABLE runs ADD COLUMN last_progress TEXT;

CREATE TABLE run_commands (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  command TEXT NOT NULL CHECK (command IN ('pause', 'resume', 'stop')),
  created_at TEXT NOT NULL,
  done_at TEXT
);
CREATE INDEX run_commands_pending ON run_commands (run_id, done_at);

-- The studio's first schema: datasets, runs and everything a run records (metrics, events,
-- checkpoints, histograms, samples), tags, and settings.

CREATE TABLE datasets (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  source_path TEXT NOT NULL, -- the file or folder it was imported from
  dir TEXT NOT NULL, -- its folder in the data dir: corpus.txt, tokenizer.json
  files INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  characters INTEGER NOT NULL,
  lines INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  tokenizer TEXT NOT NULL, -- the TokenizerSpec as JSON
  vocab_size INTEGER NOT NULL,
  tokens INTEGER NOT NULL,
  top_tokens TEXT NOT NULL, -- JSON [{id, text, count}]
  created_at TEXT NOT NULL
);

CREATE TABLE runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  origin TEXT NOT NULL CHECK (origin IN ('studio', 'cli')),
  dataset_id INTEGER REFERENCES datasets (id) ON DELETE RESTRICT, -- NULL: a terminal run on a file
  config TEXT, -- the studio's RunConfig as JSON (NULL for terminal runs)
  spec TEXT NOT NULL, -- the engine's RunSpec as JSON
  dir TEXT NOT NULL, -- its folder: checkpoints/
  status TEXT NOT NULL CHECK (status IN ('created', 'queued', 'running', 'paused', 'stopping', 'stopped',
                                          'completed', 'failed', 'interrupted')),
  status_message TEXT,
  stop_reason TEXT,
  error_stack TEXT,
  step INTEGER NOT NULL DEFAULT 0,
  total_steps INTEGER NOT NULL,
  tokens_seen INTEGER NOT NULL DEFAULT 0,
  best_val_loss REAL,
  last_val_loss REAL,
  last_train_loss REAL,
  notes TEXT NOT NULL DEFAULT '',
  parent_run_id INTEGER REFERENCES runs (id) ON DELETE SET NULL,
  forked_at_step INTEGER,
  queue_seq INTEGER, -- order among queued runs
  resume_checkpoint_id INTEGER REFERENCES checkpoints (id) ON DELETE SET NULL, -- where a queued run starts
  owner_pid INTEGER, -- the process training it while it is active
  created_at TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT,
  updated_at TEXT NOT NULL
);
CREATE INDEX runs_status ON runs (status);
CREATE INDEX runs_dataset ON runs (dataset_id);

-- One row per (run, metric key); points live in `metrics`, keyed for range scans by step.
CREATE TABLE metric_series (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  UNIQUE (run_id, key)
);

CREATE TABLE metrics (
  series_id INTEGER NOT NULL REFERENCES metric_series (id) ON DELETE CASCADE,
  step INTEGER NOT NULL,
  value REAL, -- NULL: not finite (NaN or ±Infinity)
  PRIMARY KEY (series_id, step)
) WITHOUT ROWID;

CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  step INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('lifecycle', 'alert', 'eval')),
  level TEXT NOT NULL CHECK (level IN ('info', 'warning', 'error')),
  code TEXT NOT NULL,
  message TEXT NOT NULL,
  data TEXT, -- JSON
  created_at TEXT NOT NULL
);
CREATE INDEX events_run_step ON events (run_id, step);

CREATE TABLE checkpoints (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  path TEXT NOT NULL UNIQUE,
  step INTEGER NOT NULL,
  sha256 TEXT NOT NULL, -- '' when registered from the folder without a full read
  bytes INTEGER NOT NULL,
  val_loss REAL,
  finite INTEGER NOT NULL CHECK (finite IN (0, 1)),
  best INTEGER NOT NULL DEFAULT 0 CHECK (best IN (0, 1)),
  trigger TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX checkpoints_run_step ON checkpoints (run_id, step);

CREATE TABLE histograms (
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  step INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('gradients', 'weights')),
  counts BLOB NOT NULL, -- uint32 little-endian, one per bin
  edges BLOB NOT NULL, -- float64 little-endian, bins + 1
  min REAL,
  max REAL,
  nan INTEGER NOT NULL,
  pos_inf INTEGER NOT NULL,
  neg_inf INTEGER NOT NULL,
  PRIMARY KEY (run_id, kind, step)
) WITHOUT ROWID;

CREATE TABLE samples (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  step INTEGER NOT NULL,
  prompt TEXT NOT NULL,
  text TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX samples_run_step ON samples (run_id, step);

CREATE TABLE tags (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE COLLATE NOCASE
);

CREATE TABLE run_tags (
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  tag_id INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
  PRIMARY KEY (run_id, tag_id)
) WITHOUT ROWID;

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL -- JSON
);

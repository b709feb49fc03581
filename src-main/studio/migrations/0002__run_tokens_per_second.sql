-- Runs keep the throughput they last reported (the engine's smoothed tokens per second), so a run
-- that is not training still shows it. Runs recorded before this migration take the last finite
-- value of their perf/tokens_per_second series (NULL when they never logged one).

ALTER TABLE runs ADD COLUMN last_tokens_per_second REAL;

UPDATE runs SET last_tokens_per_second = (
  SELECT m.value FROM metrics m JOIN metric_series s ON s.id = m.series_id
  WHERE s.run_id = runs.id AND s.key = 'perf/tokens_per_second' AND m.value IS NOT NULL
  ORDER BY m.step DESC LIMIT 1
);

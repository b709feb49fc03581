-- Run configs made before `threads` was a setting get its default (1, src-worker/train/threads.ts),
-- so a stored config reads exactly as the schema parses a new one.
UPDATE runs SET config = json_set(config, '$.threads', 1)
WHERE config IS NOT NULL AND json_type(config, '$.threads') IS NULL;

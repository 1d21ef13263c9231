-- Runs overview: every run of the @days days ending at @run_date with its counts, and whether
-- its entries balance (entries = articles + failures + duplicates).
-- @param run_date DATE: last day of the window
-- @param days INT64 = 7: length of the window in days
SELECT
  run_date,
  run_id,
  started_at,
  TIMESTAMP_DIFF(finished_at, started_at, SECOND) AS seconds,
  feeds,
  feed_failures,
  entries,
  articles,
  failures,
  duplicates,
  sentences,
  entries = articles + failures + duplicates AS balanced,
  model_version
FROM runs
WHERE run_date BETWEEN DATE_SUB(@run_date, INTERVAL @days - 1 DAY) AND @run_date
ORDER BY run_date, started_at

-- Drift inputs: for each run date of the @days days ending at @run_date, the share of sentences
-- per label, the model's mean confidence (its highest class probability) and sentence lengths in
-- characters: the signals the drift report compares from day to day.
-- @param run_date DATE: last day of the window
-- @param days INT64 = 30: length of the window in days
SELECT
  run_date,
  COUNT(*) AS sentences,
  ROUND(SAFE_DIVIDE(COUNTIF(label = 'negative'), COUNT(*)), 4) AS share_negative,
  ROUND(SAFE_DIVIDE(COUNTIF(label = 'neutral'), COUNT(*)), 4) AS share_neutral,
  ROUND(SAFE_DIVIDE(COUNTIF(label = 'positive'), COUNT(*)), 4) AS share_positive,
  ROUND(AVG(GREATEST(p_negative, p_neutral, p_positive)), 4) AS mean_confidence,
  ROUND(AVG(LENGTH(text)), 1) AS mean_chars,
  ROUND(STDDEV(LENGTH(text)), 1) AS sd_chars,
  MIN(LENGTH(text)) AS min_chars,
  MAX(LENGTH(text)) AS max_chars,
  STRING_AGG(DISTINCT model_version, ', ' ORDER BY model_version) AS model_versions
FROM sentences
WHERE run_date BETWEEN DATE_SUB(@run_date, INTERVAL @days - 1 DAY) AND @run_date
GROUP BY run_date
ORDER BY run_date

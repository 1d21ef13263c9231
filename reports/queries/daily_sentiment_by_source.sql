-- Daily net sentiment by source: for one run date, how many articles each source published,
-- how they were labelled, their mean score, and net sentiment = (positive − negative) / classified.
-- @param run_date DATE: the run date (partition) to report
SELECT
  source,
  COUNT(*) AS articles,
  COUNTIF(classified) AS classified,
  COUNTIF(label = 'positive') AS positive,
  COUNTIF(label = 'neutral') AS neutral,
  COUNTIF(label = 'negative') AS negative,
  ROUND(AVG(score), 4) AS mean_score,
  ROUND(SAFE_DIVIDE(COUNTIF(label = 'positive') - COUNTIF(label = 'negative'), COUNTIF(classified)), 4)
    AS net_sentiment
FROM articles
WHERE run_date = @run_date
GROUP BY source
ORDER BY net_sentiment DESC, source

-- Sentiment trend: for each day of the @days days ending at @run_date and each source, the
-- articles published that day (scrape time when the page gave no date), their mean score and
-- net sentiment = (positive − negative) / classified.
-- @param run_date DATE: last day of the window
-- @param days INT64 = 7: length of the window in days
WITH dated AS (
  SELECT source, DATE(COALESCE(published_at, scraped_at)) AS day, classified, label, score
  FROM articles
  WHERE run_date BETWEEN DATE_SUB(@run_date, INTERVAL @days - 1 DAY) AND @run_date
)
SELECT
  day,
  source,
  COUNT(*) AS articles,
  ROUND(AVG(score), 4) AS mean_score,
  ROUND(SAFE_DIVIDE(COUNTIF(label = 'positive') - COUNTIF(label = 'negative'), COUNTIF(classified)), 4)
    AS net_sentiment
FROM dated
WHERE day BETWEEN DATE_SUB(@run_date, INTERVAL @days - 1 DAY) AND @run_date
GROUP BY day, source
ORDER BY day, source

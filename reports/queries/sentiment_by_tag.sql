-- Sentiment per tag: over the @days days ending at @run_date, for each tag of the feeds that
-- listed the articles (feeds.yaml `tags`, e.g. markets, europe), the articles, sources, mean
-- score and net sentiment = (positive − negative) / classified.
-- @param run_date DATE: last day of the window
-- @param days INT64 = 7: length of the window in days
SELECT
  tag,
  COUNT(*) AS articles,
  COUNT(DISTINCT a.source) AS sources,
  ROUND(AVG(a.score), 4) AS mean_score,
  ROUND(SAFE_DIVIDE(COUNTIF(a.label = 'positive') - COUNTIF(a.label = 'negative'), COUNTIF(a.classified)), 4)
    AS net_sentiment
FROM articles AS a, UNNEST(a.tags) AS tag
WHERE a.run_date BETWEEN DATE_SUB(@run_date, INTERVAL @days - 1 DAY) AND @run_date
GROUP BY tag
ORDER BY articles DESC, tag

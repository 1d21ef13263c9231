-- Sentiment per ticker: over the @days days ending at @run_date, for each ticker of the feeds
-- that listed the articles (feeds.yaml `tickers`), the articles, sources, mean score and
-- net sentiment = (positive − negative) / classified. Syndicated copies (same story_id) and
-- re-stored articles count once in `stories`, `mean_score` and `net_sentiment`.
-- @param run_date DATE: last day of the window
-- @param days INT64 = 7: length of the window in days
WITH tickers_copies AS (
  SELECT
    ticker, a.source, a.score, a.label, a.classified,
    ROW_NUMBER() OVER (PARTITION BY ticker, COALESCE(a.story_id, a.article_id) ORDER BY a.article_id, a.run_date DESC)
      AS copy
  FROM articles AS a, UNNEST(a.tickers) AS ticker
  WHERE a.run_date BETWEEN DATE_SUB(@run_date, INTERVAL @days - 1 DAY) AND @run_date
)
SELECT
  ticker,
  COUNT(*) AS articles,
  COUNTIF(copy = 1) AS stories,
  COUNT(DISTINCT source) AS sources,
  ROUND(AVG(IF(copy = 1, score, NULL)), 4) AS mean_score,
  ROUND(SAFE_DIVIDE(COUNTIF(copy = 1 AND label = 'positive') - COUNTIF(copy = 1 AND label = 'negative'),
                    COUNTIF(copy = 1 AND classified)), 4) AS net_sentiment
FROM tickers_copies
GROUP BY ticker
ORDER BY articles DESC, ticker

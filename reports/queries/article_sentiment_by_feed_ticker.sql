-- Article sentiment by feed ticker: over the @days days ending at @run_date, for each ticker in the
-- articles' `tickers` column — a ticker that feeds.yaml declares for a feed that listed the article
-- (the union over every feed that listed it) and that the article itself names — the articles,
-- stories, sources and net sentiment = the mean article score of the stories' classified articles.
-- Syndicated copies (same story_id) and re-stored articles count once in `stories` and
-- `net_sentiment`. For sentiment of the sentences naming a company, see mention_sentiment_by_company.
-- @param run_date DATE: last day of the window
-- @param days INT64 = 7: length of the window in days
WITH tickers_copies AS (
  SELECT
    ticker, a.source, a.score,
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
  ROUND(AVG(IF(copy = 1, score, NULL)), 4) AS net_sentiment
FROM tickers_copies
GROUP BY ticker
ORDER BY articles DESC, ticker

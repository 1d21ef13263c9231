-- Mention sentiment by company: over the @days days ending at @run_date (run dates), for each company
-- named in a sentence (`mentions`), the stories, articles and sentences naming it and its net
-- sentiment = the mean over stories of the mean score of the sentences naming it (the report's
-- "Most discussed companies"). Each syndicated story counts once: its copies share `story_id`,
-- the copy with the smallest article_id stands for it. For articles by the tickers feeds.yaml
-- declares, see article_sentiment_by_feed_ticker.
-- @param run_date DATE: last day of the window
-- @param days INT64 = 7: length of the window in days
WITH windowed AS (
  SELECT *, COALESCE(story_id, article_id) AS story
  FROM mentions
  WHERE run_date BETWEEN DATE_SUB(@run_date, INTERVAL @days - 1 DAY) AND @run_date
),
chosen AS (
  SELECT ticker, story, MIN(article_id) AS article_id, COUNT(DISTINCT article_id) AS copies
  FROM windowed
  GROUP BY ticker, story
),
per_story AS (
  SELECT
    w.ticker,
    w.story,
    MAX(w.name) AS name,
    MAX(c.copies) AS copies,
    COUNT(*) AS sentences,
    COUNTIF(w.label = 'positive') AS positive,
    COUNTIF(w.label = 'negative') AS negative,
    AVG(w.score) AS score
  FROM windowed AS w
  JOIN chosen AS c ON c.ticker = w.ticker AND c.story = w.story AND c.article_id = w.article_id
  GROUP BY w.ticker, w.story
)
SELECT
  ticker,
  MAX(name) AS name,
  COUNT(*) AS stories,
  SUM(copies) AS articles,
  SUM(sentences) AS sentences,
  SUM(positive) AS positive,
  SUM(negative) AS negative,
  ROUND(AVG(score), 4) AS net_sentiment
FROM per_story
GROUP BY ticker
ORDER BY stories DESC, sentences DESC, ticker

-- Sentiment trend: for each day of the @days days ending at @run_date that has stories, the
-- stories published that day (UTC publication day; the run date when the page gave none), their
-- net sentiment = the mean article score of the classified ones, the net sentiment of the 7 days
-- before (their stories together) and the change: the report's headline, trend and 7-day
-- comparison. Runs up to @run_date are read, each article once (its latest run date), each
-- syndicated story once (the copy whose article_id is the story_id), news stored up to 7 days
-- after its day.
-- @param run_date DATE: last day of the window
-- @param days INT64 = 30: length of the window in days
WITH copies AS (
  SELECT
    article_id, COALESCE(story_id, article_id) AS story, score, IFNULL(DATE(published_at), run_date) AS day,
    ROW_NUMBER() OVER (PARTITION BY article_id ORDER BY run_date DESC) AS newest
  FROM articles
  WHERE run_date BETWEEN DATE_SUB(@run_date, INTERVAL @days + 13 DAY) AND @run_date
),
stories AS (
  SELECT day, score,
    ROW_NUMBER() OVER (PARTITION BY story ORDER BY IF(article_id = story, 0, 1), article_id) AS copy
  FROM copies
  WHERE newest = 1
),
story_days AS (
  SELECT day, score FROM stories WHERE copy = 1
),
daily AS (
  SELECT day, COUNT(*) AS stories, AVG(score) AS net_sentiment
  FROM story_days
  WHERE day BETWEEN DATE_SUB(@run_date, INTERVAL @days - 1 DAY) AND @run_date
  GROUP BY day
),
previous AS (
  SELECT d.day, AVG(s.score) AS previous_7_days
  FROM daily AS d
  JOIN story_days AS s ON s.day BETWEEN DATE_SUB(d.day, INTERVAL 7 DAY) AND DATE_SUB(d.day, INTERVAL 1 DAY)
  GROUP BY d.day
)
SELECT
  d.day,
  d.stories,
  ROUND(d.net_sentiment, 4) AS net_sentiment,
  ROUND(p.previous_7_days, 4) AS previous_7_days_net_sentiment,
  ROUND(d.net_sentiment - p.previous_7_days, 4) AS change
FROM daily AS d
LEFT JOIN previous AS p ON p.day = d.day
ORDER BY d.day

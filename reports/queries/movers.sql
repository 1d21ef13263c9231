-- Movers: the companies and sources whose net sentiment on the day @run_date moved most against
-- the @days days before it (the report's "Movers"). A company's net sentiment is the mean over
-- its stories of the mean score of the sentences naming it (each syndicated story read once, from
-- its copy with the smallest article_id); a source's is the mean score of its classified articles.
-- Days are UTC publication days (the run date when the page gave none), each article read once
-- (its latest run date up to @run_date). Minimum evidence, on the day and before it: @min_sentences
-- sentences naming a company, @min_articles classified articles of a source.
-- @param run_date DATE: the day
-- @param days INT64 = 7: trailing days compared with
-- @param min_sentences INT64 = 3: sentences naming a company needed on each side
-- @param min_articles INT64 = 2: classified articles of a source needed on each side
WITH copies AS (
  SELECT
    article_id, run_date, source, score, IFNULL(DATE(published_at), run_date) AS day,
    ROW_NUMBER() OVER (PARTITION BY article_id ORDER BY run_date DESC) AS newest
  FROM articles
  WHERE run_date BETWEEN DATE_SUB(@run_date, INTERVAL @days + 7 DAY) AND @run_date
),
latest AS (
  SELECT * FROM copies
  WHERE newest = 1 AND day BETWEEN DATE_SUB(@run_date, INTERVAL @days DAY) AND @run_date
),
named AS (
  SELECT m.ticker, m.name, m.score, m.article_id, COALESCE(m.story_id, m.article_id) AS story, l.day
  FROM mentions AS m
  JOIN latest AS l ON l.article_id = m.article_id AND l.run_date = m.run_date
),
chosen AS (
  SELECT *, MIN(article_id) OVER (PARTITION BY ticker, story) AS story_copy FROM named
),
per_story AS (
  SELECT ticker, story, day, MAX(name) AS name, COUNT(*) AS sentences, AVG(score) AS score
  FROM chosen
  WHERE article_id = story_copy
  GROUP BY ticker, story, day
),
companies AS (
  SELECT
    'company' AS kind, ticker AS mover, MAX(name) AS name,
    AVG(IF(day = @run_date, score, NULL)) AS net_sentiment,
    AVG(IF(day < @run_date, score, NULL)) AS previous_net_sentiment,
    SUM(IF(day = @run_date, sentences, 0)) AS day_evidence,
    SUM(IF(day < @run_date, sentences, 0)) AS previous_evidence
  FROM per_story
  GROUP BY ticker
  HAVING SUM(IF(day = @run_date, sentences, 0)) >= @min_sentences
    AND SUM(IF(day < @run_date, sentences, 0)) >= @min_sentences
),
sources AS (
  SELECT
    'source' AS kind, source AS mover, CAST(NULL AS STRING) AS name,
    AVG(IF(day = @run_date, score, NULL)) AS net_sentiment,
    AVG(IF(day < @run_date, score, NULL)) AS previous_net_sentiment,
    COUNTIF(day = @run_date) AS day_evidence,
    COUNTIF(day < @run_date) AS previous_evidence
  FROM latest
  WHERE score IS NOT NULL
  GROUP BY source
  HAVING COUNTIF(day = @run_date) >= @min_articles AND COUNTIF(day < @run_date) >= @min_articles
),
both_kinds AS (
  SELECT * FROM companies
  UNION ALL
  SELECT * FROM sources
)
SELECT
  kind,
  mover,
  name,
  ROUND(net_sentiment, 4) AS net_sentiment,
  ROUND(previous_net_sentiment, 4) AS previous_net_sentiment,
  ROUND(net_sentiment - previous_net_sentiment, 4) AS change,
  day_evidence,
  previous_evidence
FROM both_kinds
ORDER BY ABS(net_sentiment - previous_net_sentiment) DESC, kind, mover

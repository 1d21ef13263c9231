-- Failure rates by feed: over the @days days ending at @run_date, for each feed, the articles
-- stored, the entries that failed (failure_rate = failed / (stored + failed)), whole-feed and
-- other failures, and the failure reasons seen.
-- @param run_date DATE: last day of the window
-- @param days INT64 = 7: length of the window in days
WITH stored AS (
  SELECT feed, COUNT(*) AS articles
  FROM articles
  WHERE run_date BETWEEN DATE_SUB(@run_date, INTERVAL @days - 1 DAY) AND @run_date
  GROUP BY feed
),
failed AS (
  SELECT
    feed,
    COUNTIF(entry_level) AS failed_entries,
    COUNTIF(NOT entry_level) AS other_failures,
    STRING_AGG(DISTINCT reason, ', ' ORDER BY reason) AS reasons
  FROM failures
  WHERE run_date BETWEEN DATE_SUB(@run_date, INTERVAL @days - 1 DAY) AND @run_date
    AND feed IS NOT NULL
  GROUP BY feed
)
SELECT
  COALESCE(s.feed, f.feed) AS feed,
  IFNULL(s.articles, 0) AS articles,
  IFNULL(f.failed_entries, 0) AS failed_entries,
  IFNULL(f.other_failures, 0) AS other_failures,
  ROUND(SAFE_DIVIDE(IFNULL(f.failed_entries, 0), IFNULL(s.articles, 0) + IFNULL(f.failed_entries, 0)), 4)
    AS failure_rate,
  f.reasons
FROM stored AS s
FULL OUTER JOIN failed AS f ON s.feed = f.feed
ORDER BY failure_rate DESC, feed

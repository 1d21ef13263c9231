-- Sentiment per tag: over the @days days ending at @run_date, for each tag of the feeds that
-- listed the articles (feeds.yaml `tags`, the union over every feed that listed an article), the
-- articles, stories, sources and net sentiment = the mean article score of the stories' classified
-- articles. Syndicated copies (same story_id) and re-stored articles count once in `stories` and
-- `net_sentiment`.
-- @param run_date DATE: last day of the window
-- @param days INT64 = 7: length of the window in days
WITH tags_copies AS (
  SELECT
    tag, a.source, a.score,
    ROW_NUMBER() OVER (PARTITION BY tag, COALESCE(a.story_id, a.article_id) ORDER BY a.article_id, a.run_date DESC)
      AS copy
  FROM articles AS a, UNNEST(a.tags) AS tag
  WHERE a.run_date BETWEEN DATE_SUB(@run_date, INTERVAL @days - 1 DAY) AND @run_date
)
SELECT
  tag,
  COUNT(*) AS articles,
  COUNTIF(copy = 1) AS stories,
  COUNT(DISTINCT source) AS sources,
  ROUND(AVG(IF(copy = 1, score, NULL)), 4) AS net_sentiment
FROM tags_copies
GROUP BY tag
ORDER BY articles DESC, tag

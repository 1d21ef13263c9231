-- Daily sentiment by source: for one run date, how many articles each source published, how they
-- were labelled, and their net sentiment = the mean article score of the classified articles (an
-- article's score is the mean of P(positive) − P(negative) over its sentences). Every copy of a
-- syndicated story counts: each is that publisher's article (as in the report's "By source").
-- @param run_date DATE: the run date (partition) to report
SELECT
  source,
  COUNT(*) AS articles,
  COUNTIF(classified) AS classified,
  COUNTIF(label = 'positive') AS positive,
  COUNTIF(label = 'neutral') AS neutral,
  COUNTIF(label = 'negative') AS negative,
  ROUND(AVG(score), 4) AS net_sentiment
FROM articles
WHERE run_date = @run_date
GROUP BY source
ORDER BY net_sentiment DESC, source

-- Most negative articles: the @top_n classified articles of one run date with the lowest score,
-- with their negative evidence sentences (most negative first) so a reader can see why, and the
-- title's own label and score (the title is classified alone and is not part of a.score).
-- @param run_date DATE: the run date (partition) to report
-- @param top_n INT64 = 10: how many articles
SELECT
  a.source,
  a.title,
  a.url,
  ROUND(a.score, 4) AS score,
  a.title_label,
  ROUND(a.title_score, 4) AS title_score,
  a.n_negative,
  a.n_sentences,
  (SELECT STRING_AGG(e.text, ' | ' ORDER BY e.score) FROM UNNEST(a.evidence) AS e
   WHERE e.label = 'negative') AS negative_evidence,
  a.article_id
FROM articles AS a
WHERE a.run_date = @run_date AND a.score IS NOT NULL
ORDER BY a.score, a.article_id
LIMIT @top_n

"""Every knob of the finsent pipeline, as one Beam `PipelineOptions` subclass."""

from __future__ import annotations

from apache_beam.options.pipeline_options import PipelineOptions

from model.predict import DEFAULT_BATCH_SIZE
from pipelines.defaults import DEFAULT_OUTPUT, DEFAULT_USER_AGENT


class FinsentOptions(PipelineOptions):
    """Options of `finsent run`; each also works as `--name value` on the command line."""

    @classmethod
    def _add_argparse_args(cls, parser) -> None:
        group = parser.add_argument_group("finsent")
        group.add_argument("--feeds", default="feeds.yaml", help="feeds.yaml to read")
        group.add_argument("--output", default=DEFAULT_OUTPUT,
                           help="root of the Parquet datasets (local path or gs://)")
        group.add_argument("--run_date", default=None,
                           help="YYYY-MM-DD partition to write (default: today, UTC)")
        group.add_argument("--reprocess", action="store_true",
                           help="scrape articles that earlier run dates already stored")
        group.add_argument("--model_path", default=None,
                           help="model artifact folder (default: the shipped model)")
        group.add_argument("--model_threads", type=int, default=0,
                           help="torch threads per worker process (0: the process's cores)")
        group.add_argument("--inference_batch_size", type=int, default=DEFAULT_BATCH_SIZE,
                           help="sentences per model batch (length-sorted, within one article)")
        group.add_argument("--fetch_timeout", type=float, default=15.0,
                           help="seconds for connect and for each read of one HTTP request")
        group.add_argument("--fetch_retries", type=int, default=2,
                           help="retries after a 429/5xx/connection error")
        group.add_argument("--fetch_backoff", type=float, default=0.5,
                           help="first retry delay in seconds, doubled on each retry")
        group.add_argument("--max_retry_after", type=float, default=30.0,
                           help="cap in seconds on a server's Retry-After")
        group.add_argument("--max_body_bytes", type=int, default=5_000_000,
                           help="largest page or feed body accepted, after decompression")
        group.add_argument("--max_redirects", type=int, default=5, help="redirect hops followed")
        group.add_argument("--fetch_concurrency", type=int, default=16,
                           help="pages fetched at once per worker process")
        group.add_argument("--per_domain_concurrency", type=int, default=2,
                           help="requests at once to one host, per worker process")
        group.add_argument("--fetch_batch_size", type=int, default=96,
                           help="URLs handed to one concurrent fetch batch per worker; a page body is "
                                "held from its download until its extraction")
        group.add_argument("--fetch_user_agent", default=DEFAULT_USER_AGENT,
                           help="User-Agent header of the fetcher (Beam itself owns --user_agent)")
        group.add_argument("--ignore_robots", action="store_true", help="do not read robots.txt")
        group.add_argument("--allow_private_hosts", action="store_true",
                           help="allow URLs on loopback/private addresses (tests, the demo)")
        group.add_argument("--allowed_private_hosts", default=None,
                           help="comma-separated host:port pairs allowed although private (a local "
                                "site), e.g. 127.0.0.1:8080; every other private address stays blocked")
        group.add_argument("--min_sentence_chars", type=int, default=20,
                           help="shorter sentences are dropped as fragments")
        group.add_argument("--max_sentence_chars", type=int, default=600,
                           help="longer sentences are dropped as run-on boilerplate")
        group.add_argument("--min_article_chars", type=int, default=200,
                           help="extracted text shorter than this counts as empty_text")
        group.add_argument("--evidence_sentences", type=int, default=2,
                           help="most positive / most negative sentences kept per article")
        group.add_argument("--article_label_threshold", type=float, default=0.1,
                           help="article score beyond ±this is labelled positive / negative")
        group.add_argument("--bigquery_dataset", default=None,
                           help="PROJECT:DATASET to also write BigQuery tables to")

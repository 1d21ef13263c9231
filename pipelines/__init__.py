"""finsent's Apache Beam job: feeds → scrape → sentences → classify → score → sinks."""

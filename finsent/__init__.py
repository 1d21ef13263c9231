"""finsent's command-line root and the names every package shares (no Beam or torch import here)."""

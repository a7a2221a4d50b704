"""AZMTH's data pipelines: publish artists' scheduled posts, pull their engagement back, roll it up per release."""

import warnings

# twitter-text-parser 3.0 (X's caption weighting) imports pkg_resources, which warns on import; it is its noise, not
# ours, and the only fix is upstream (setuptools stays below 81 in pyproject.toml so pkg_resources still exists).
warnings.filterwarnings("ignore", "pkg_resources is deprecated", UserWarning, r"twitter_text\.")

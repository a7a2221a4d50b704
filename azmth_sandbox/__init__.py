"""A local stand-in for TikTok, Instagram, Threads and X that behaves as their documentation says.

Run it with `azmth sandbox serve`, or in tests with `azmth_sandbox.testing.running_sandbox()`;
the app itself is `azmth_sandbox.app.create_app(config)`.
"""

import warnings

from azmth_sandbox.config import SandboxConfig, SandboxLimits, TokenLifetimes, sandbox_env

# As in azmth_pipelines/__init__.py: twitter-text-parser's own pkg_resources warning, which only upstream can fix.
warnings.filterwarnings("ignore", "pkg_resources is deprecated", UserWarning, r"twitter_text\.")

__all__ = ["SandboxConfig", "SandboxLimits", "TokenLifetimes", "sandbox_env"]

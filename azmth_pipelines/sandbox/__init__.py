"""A local stand-in for TikTok, Instagram, Threads and X that behaves as their documentation says.

Run it with `azmth sandbox serve`, or in tests with `azmth_pipelines.sandbox.testing.running_sandbox()`;
the app itself is `azmth_pipelines.sandbox.app.create_app(config)`.
"""

from azmth_pipelines.sandbox.config import SandboxConfig, SandboxLimits, TokenLifetimes, sandbox_env

__all__ = ["SandboxConfig", "SandboxLimits", "TokenLifetimes", "sandbox_env"]

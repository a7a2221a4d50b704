"""A local stand-in for TikTok, Instagram, Threads and X that behaves as their documentation says.

Run it with `azmth sandbox serve`, or in tests with `azmth_sandbox.testing.running_sandbox()`;
the app itself is `azmth_sandbox.app.create_app(config)`.
"""

from azmth_sandbox.config import SandboxConfig, SandboxLimits, TokenLifetimes, sandbox_env

__all__ = ["SandboxConfig", "SandboxLimits", "TokenLifetimes", "sandbox_env"]

"""Prefect blocks of prefect-aimlapi (registered through the `prefect.collections` entry point)."""

from .credentials import AimlApiCredentials, resolve_credentials

__all__ = ["AimlApiCredentials", "resolve_credentials"]

"""Prefect tasks of prefect-aimlapi."""

from ._budget import BUDGET_ENV, BudgetExceededError, ensure_budget
from ._cache import SUBMIT_CACHE
from ._locks import LOCKS_ENV, FlockLockManager, submission_locks
from ._reporting import best_effort, report_table
from ._storage import load_output_storage, store_copy
from .video import (
    check_submission_storage,
    download_video,
    download_video_as_asset,
    record_assets,
    submission_store,
    submit_cached,
    submit_task_for,
    submit_video,
    wait_for_video,
)

__all__ = [
    "BUDGET_ENV",
    "LOCKS_ENV",
    "SUBMIT_CACHE",
    "BudgetExceededError",
    "FlockLockManager",
    "best_effort",
    "check_submission_storage",
    "report_table",
    "download_video",
    "ensure_budget",
    "download_video_as_asset",
    "load_output_storage",
    "record_assets",
    "store_copy",
    "submission_locks",
    "submission_store",
    "submit_cached",
    "submit_task_for",
    "submit_video",
    "wait_for_video",
]

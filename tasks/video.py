"""Prefect tasks over `VideoClient`: submit, wait for and download one generation.

Each task is thin: the HTTP work, polling and verification live in `aimlapi_client`.
Tasks take an open `VideoClient` so a flow shares one connection pool across all
its task runs (`async with credentials.get_client() as client: ...`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prefect import Task, get_run_logger, task
from prefect.artifacts import acreate_progress_artifact, aupdate_progress_artifact
from prefect.assets import Asset, AssetProperties, materialize
from prefect.cache_policies import NO_CACHE
from prefect.locking.protocol import LockManager
from prefect.results import ResultStore, get_result_store
from prefect.transactions import IsolationLevel, atransaction

from aimlapi_client import (
    DEFAULT_DEADLINE_S,
    DownloadedFile,
    Generation,
    ObservedTimes,
    RequestBase,
    RequestValidationError,
    TransientError,
    VideoClient,
    collect_call,
    typical_seconds,
)

from ._budget import spend_from_budget
from ._cache import SUBMIT_CACHE, SUBMIT_CACHE_EXPIRATION, submission_key
from ._reporting import best_effort

__all__ = [
    "check_submission_storage",
    "download_video",
    "download_video_as_asset",
    "record_assets",
    "submission_store",
    "submit_cached",
    "submit_task_for",
    "submit_video",
    "wait_for_video",
]


async def _retry_if_transient(task, task_run, state) -> bool:  # noqa: ANN001 - Prefect's hook signature
    # Only failures where the server certainly did not take the job may be retried:
    # a SubmissionUnknownError could pay twice.
    try:
        await state.aresult()
    except TransientError:
        return True
    except Exception:
        return False
    return False


@task(
    name="submit-video",
    task_run_name="submit-video/{request.model}",
    cache_policy=SUBMIT_CACHE,
    cache_expiration=SUBMIT_CACHE_EXPIRATION,
    persist_result=True,
    result_serializer="json",
    retries=2,
    retry_delay_seconds=[10, 60],
    retry_jitter_factor=0.5,
    retry_condition_fn=_retry_if_transient,
)
async def submit_video(request: RequestBase, client: VideoClient) -> Generation:
    """Start one paid generation and return it without waiting.

    The result is persisted and cached on the request and the account (for 24
    hours), so a re-run or retry of the flow with the same request resumes this
    generation instead of paying again. A new submission first takes a slot of the
    spend budget `AIMLAPI_BUDGET` names, if any (`BudgetExceededError` when spent). Call
    `submit_video.with_options(refresh_cache=True)` to force a new generation.

    Args:
        request: The validated request, e.g. from `aimlapi_client.build_request`.
        client: An open client.
    """
    await spend_from_budget()  # AIMLAPI_BUDGET: only new paid submissions reach this line
    generation = await client.submit(request)
    get_run_logger().info("Submitted %s as generation %s", request.model, generation.id)
    return generation


SubmitTask = Task[[RequestBase, VideoClient], Coroutine[Any, Any, Generation]]
_submit_tasks: dict[tuple[int, bool], SubmitTask] = {}  # lock managers live as long as the process


def submit_task_for(locks: LockManager, refresh: bool = False) -> SubmitTask:
    """`submit_video` with this lock manager; built once per manager (building a Task
    costs an inspect.getsource of its function)."""
    key = (id(locks), refresh)
    if key not in _submit_tasks:
        policy = SUBMIT_CACHE.configure(lock_manager=locks)
        _submit_tasks[key] = submit_video.with_options(cache_policy=policy, refresh_cache=refresh)
    return _submit_tasks[key]


async def submission_store(locks: LockManager) -> ResultStore:
    """The result store `submit_video` uses in this run with `locks`, for `submit_cached`.

    Build it once per batch: it is the same for every item.
    """
    return await get_result_store().aupdate_for_task(submit_task_for(locks))


_WRITE_CHECK_KEY = "prefect-aimlapi-write-check"


async def check_submission_storage(store: ResultStore) -> None:
    """Fail before paying if the submission cache cannot be written.

    Prefect logs a failed cache write and goes on; the generation is paid, but a
    re-run of the request, finding no record, would pay for it again. One small
    record (always the same key) is written to the store's storage to find out.

    Raises:
        RequestValidationError: The storage refused the write; names it and the cause.
    """
    try:
        await store.awrite(obj=None, key=_WRITE_CHECK_KEY)
    except Exception as exc:
        storage = store.result_storage
        where = getattr(storage, "basepath", None) or type(storage).__name__
        raise RequestValidationError(
            f"the submission cache ({where}) cannot be written ({type(exc).__name__}: {exc}); without its "
            "records a re-run would pay again for each generation. Make it writable, or point "
            "PREFECT_LOCAL_STORAGE_PATH (or the default result storage block) somewhere that is."
        ) from None


async def submit_cached(
    request: RequestBase,
    client: VideoClient,
    *,
    store: ResultStore,
    refresh: bool = False,
    after_create: Callable[[], Awaitable[None]] | None = None,
) -> tuple[Generation, bool]:
    """`submit_video`'s cached, locked submission without a task run of its own.

    The same cache key, result storage, serializer, expiration and lock as the task
    (a generation submitted here resumes in `submit_video`, and the other way round),
    for batches, where a task run per item is most of the fixed cost.

    Args:
        request: What to generate.
        client: An open client.
        store: From `submission_store`: the task's storage and lock manager.
        refresh: Submit anew even if this request was submitted before.
        after_create: Awaited between a new create's answer and writing its record,
            the lock still held (a batch holds its bookkeeping back there while other
            items still head for their creates).

    Returns:
        The generation, and whether it was resumed from the cache (nothing paid).
    """
    key = submission_key(request, client)
    async with atransaction(
        key=key, store=store, overwrite=refresh, isolation_level=IsolationLevel.SERIALIZABLE
    ) as txn:
        if txn.is_committed():
            record = await txn.read()
            if record is not None:
                return record.result, True
        await spend_from_budget()
        generation = await client.submit(request)
        if after_create is not None:
            await after_create()
        expiration = datetime.now(UTC) + SUBMIT_CACHE_EXPIRATION
        txn.stage(store.create_result_record(generation, key=key, expiration=expiration))  # type: ignore[arg-type]
    if txn.is_rolled_back():  # the commit failed: Prefect logged why and went on; say what it costs
        get_run_logger().warning(
            "Generation %s is paid for, but its cache record could not be written (see the error above): "
            "running this request again would pay again. %s finishes this generation without paying.",
            generation.id,
            collect_call(generation.id, request.model),
        )
    return generation, False


# Never cached: a status is only true at the moment it is read.
@task(name="wait-for-video", task_run_name="wait-for-video/{model}", cache_policy=NO_CACHE)
async def wait_for_video(
    generation_id: str,
    model: str,
    client: VideoClient,
    deadline_s: float = DEFAULT_DEADLINE_S,
    expected_s: float | None = None,
    priors: ObservedTimes | None = None,
    learn: bool = True,
    known: Generation | None = None,
    elapsed_s: float | None = None,
) -> Generation:
    """Poll a generation until it completes, keeping a progress artifact current.

    The progress artifact is a courtesy: if the Prefect API fails to take it, a
    WARNING is logged and the wait goes on.

    Args:
        generation_id: The id `submit_video` returned.
        model: The model id, which selects the route and the expected duration.
        client: An open client.
        deadline_s: Wall-clock seconds to wait before giving up.
        expected_s: Typical seconds for this generation, to schedule polls from;
            if unset, what `priors` observed for the model, else its catalogue value.
        priors: Generation times observed so far (see `ObservedTimes`).
        learn: Record this generation's time in `priors` (it was just submitted).
        known: The generation as submitted; if already finished, no poll is made.
        elapsed_s: Seconds since it was submitted, for a wait that starts later
            (a resumed run): the first poll comes at once.

    Raises:
        GenerationFailedError: The generation failed.
        UnreadableStatusError: The API's answers about it could not be read.
        DeadlineExceededError: It did not finish in time; `collect_generation` finishes it.
    """
    logger = get_run_logger()
    typical_s = typical_seconds(model, expected_s=expected_s, priors=priors)
    artifact_id = await best_effort(
        acreate_progress_artifact(progress=0.0, description=f"Generation {generation_id} ({model})"),
        "creating the progress artifact",
        logger,
    )
    polls, last_status = 0, None

    async def on_poll(generation: Generation, elapsed: float) -> None:
        nonlocal polls, last_status
        polls += 1
        logger.debug("Poll %d of %s: %s after %.1fs", polls, generation_id, generation.status, elapsed)
        if generation.status != last_status:
            logger.info(
                "Generation %s: %s -> %s after %.0fs",
                generation_id,
                last_status or "submitted",
                generation.status,
                elapsed,
            )
            last_status = generation.status
        if artifact_id is not None:
            progress = 100.0 if generation.state == "completed" else min(99.0, 100.0 * elapsed / typical_s)
            await aupdate_progress_artifact(artifact_id, progress=progress)  # failures: logged by the wait

    return await client.wait(
        generation_id,
        model=model,
        deadline_s=deadline_s,
        on_poll=on_poll,
        expected_s=expected_s,
        priors=priors,
        learn=learn,
        log=logger,
        known=known,
        elapsed_s=elapsed_s,
    )


# Never cached: the file on disk is the cache, checked on every call.
@task(name="download-video", task_run_name="download-video/{generation.id}", cache_policy=NO_CACHE)
async def download_video(
    generation: Generation, client: VideoClient, output_dir: str | Path, default_extension: str = ".mp4"
) -> DownloadedFile:
    """Download a completed generation's file (video or audio) into `output_dir`, atomically.

    The file is named after the generation id, with the extension of its content
    type (`default_extension` if the API does not say). A verified file of that
    name is reused instead of downloaded again; runs downloading the same
    generation at once each write their own part file and publish one file.

    Raises:
        DownloadError: The download failed or the file did not verify.
    """
    downloaded = await client.download(generation, output_dir, default_extension=default_extension)
    verb = "Reusing" if downloaded.reused else "Saved"
    get_run_logger().info("%s %s (%d bytes)", verb, downloaded.path, downloaded.bytes)
    return downloaded


def _file_asset(path: str | Path, description: str) -> Asset:
    # The key is the file's absolute file:// URI (or a storage URI), so the UI shows which run made which file.
    # The flows pass absolute paths in a resolved directory: resolving each again costs a batch a stat per
    # path component and file.
    key = str(path) if "://" in str(path) else _absolute(Path(path)).as_uri()
    name = key.rsplit("/", 1)[-1]
    return Asset(key=key, properties=AssetProperties(name=name, description=description[:2500]))


def _absolute(path: Path) -> Path:
    return path if path.is_absolute() else path.resolve()


def download_video_as_asset(path: Path, description: str) -> Task[Any, Any]:
    """`download_video`, recorded as a materialization of the file at `path`."""
    return materialize(
        _file_asset(path, description),
        by="aimlapi",
        name=download_video.name,
        task_run_name=download_video.task_run_name,
        cache_policy=NO_CACHE,
    )(download_video.fn)


async def record_assets(files: dict[str, str]) -> None:
    """Record files (path or URI -> description) as assets in one task run."""
    if not files:
        return
    assets = [_file_asset(path, description) for path, description in files.items()]
    recorder = materialize(*assets, by="aimlapi", name="record-assets", cache_policy=NO_CACHE)(_files_recorded)
    await recorder(len(files))


async def _files_recorded(count: int) -> int:
    return count

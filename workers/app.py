"""The Celery app. Its settings are deliberate; each says why.

The outbox is the source of truth, so a Celery message is only a wake-up call: losing one
delays an update until the next beat tick, and running one twice writes the same index.
"""
from __future__ import annotations

from celery import Celery
from celery.signals import worker_init, worker_process_init

from store.settings import Settings

def queue_names(index_prefix: str) -> dict[str, str]:
    """The two queues, scoped by INDEX_PREFIX like every index name, so parallel test runs and
    `make dev` sharing one Redis never eat each other's tasks.

    `relay` carries only the outbox relay, which is what stands between a publish and a search
    result; `rebuild` carries everything that may run for minutes (reindex, init, concept counts,
    purges, pings). A worker on `relay` is never busy with a 100k rebuild, so a rebuild cannot
    delay publish -> searchable however long it runs.
    """
    return {"relay": f"{index_prefix}relay", "rebuild": f"{index_prefix}rebuild"}


def all_queues(index_prefix: str) -> str:
    """Both queues, as `celery worker -Q` takes them, for a worker that serves both."""
    return ",".join(queue_names(index_prefix).values())


def routing(index_prefix: str) -> dict:
    """The Celery settings that send each task to its queue."""
    queues = queue_names(index_prefix)
    return {"task_default_queue": queues["rebuild"],
            "task_routes": {"workers.tasks.relay_outbox": {"queue": queues["relay"]}}}


# Longer than any task may run (a 100k reindex included), so Redis never re-delivers a message
# whose task is still working on it.
VISIBILITY_TIMEOUT = 4 * 60 * 60


def make_celery(settings: Settings | None = None, set_as_current: bool = True) -> Celery:
    """The workers' app, or (set_as_current=False) one that only sends tasks for other settings.

    Celery makes each new app the process's "current" one, which `shared_task` proxies use: a
    sender made for a command or a nudge must not take that place from the workers' own app.
    """
    settings = settings or Settings.from_env()
    app = Celery("credential_catalog", broker=settings.redis_url, backend=settings.redis_url,
                 set_as_current=set_as_current)
    app.conf.update(
        # Ack after the task ran, and re-queue it if the worker process dies mid-task.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        # One message at a time per process: a prefetched message would wait behind a long reindex.
        worker_prefetch_multiplier=1,
        broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT, "socket_timeout": 5},
        result_backend_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT},
        result_expires=3600,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        **routing(settings.index_prefix),
        beat_schedule={
            "relay-outbox": {"task": "workers.tasks.relay_outbox", "schedule": 2.0},
            "refresh-concept-counts": {"task": "workers.tasks.refresh_concept_counts", "schedule": 60.0},
            "purge-outbox": {"task": "workers.tasks.purge_outbox", "schedule": 3600.0},
        },
    )
    app.conf.settings = settings
    if set_as_current:
        # The workers' own app (not a nudge's sender): its metrics page and, when asked, JSON logs.
        from workers import observability

        if settings.log_format == "json":
            observability.use_json_logs()
    app.autodiscover_tasks(["workers"], related_name="tasks", force=True)
    return app


celery_app = make_celery()


@worker_init.connect
@worker_process_init.connect
def _wake_the_relay_after_task_commits(**_kwargs) -> None:
    """A task that writes the outbox (an import job) wakes the relay as a web request does.

    Without this a worker's commits wait for beat's next tick, and where no beat runs (a test's
    worker) they wait for the next edit. `worker_init` covers the solo pool, which runs tasks in
    the main process; `worker_process_init` each forked pool process.
    """
    from store.outbox import set_nudge
    from workers.nudge import nudge_relay

    set_nudge(nudge_relay)


"""
### websub_renew

Keeps WebSub push subscriptions alive, every 15 minutes: renews leases that are within
their renewal margin (a fifth of the lease, at least an hour), subscribes enabled feeds
that advertise a hub (`rel="hub"`) and have no live subscription, and unsubscribes from
feeds that were disabled or deleted. Hubs verify each request at the receiver
(`wirewatch websub serve`), which must be reachable at `WIREWATCH_PUBLIC_BASE_URL`;
without that setting the run does nothing and says so in its log.

All logic is in `pipeline.websub.subscriber`; a hub that fails is logged and counted,
and the others go on.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, task

from pipeline.airflow_integration import task_settings, task_timeout


@dag(
    schedule="*/15 * * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["wirewatch", "push"],
    default_args={
        "retries": 2,
        "retry_delay": timedelta(minutes=1),
        "retry_exponential_backoff": True,
        "execution_timeout": task_timeout(),
    },
)
def websub_renew():
    @task
    def maintain() -> dict:
        from pipeline.websub.subscriber import maintain_subscriptions

        return maintain_subscriptions(task_settings())

    maintain()


websub_renew()

"""The ``tavus.video.failed`` automation, created from code: a notification per failed video.

Every failed Tavus video (``error`` from Tavus, or deleted before it was ready) emits a
``tavus.video.failed`` event (:mod:`prefect_tavus.flows.events`). This automation
reacts to each one by sending a notification through a saved Prefect notification
block: the video, its name, what Tavus said and the flow run. ``make serve`` creates it
with the ``tavus-alerts`` block pointing at a local inbox that prints the alert on its
terminal (:mod:`deployments.alerts`); against your own server point it at any
notification block (Slack, Teams, email, a webhook):

    python -m deployments.automations --notify-block slack-data-team

Creating it again replaces the automation of the same name, so the command is safe to
repeat (``make serve`` does on every start).

Example:
    >>> automation = video_failed_automation(block_id)  # doctest: +SKIP
    >>> automation.trigger.expect  # doctest: +SKIP
    {'tavus.video.failed'}
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import timedelta
from uuid import UUID

from prefect import get_client
from prefect.automations import Automation, EventTrigger, Posture, SendNotification

from deployments.alerts import ALERTS_BLOCK
from prefect_tavus.flows.events import VIDEO_FAILED

AUTOMATION_NAME = "tavus-video-failed"
"""Name of the automation; creating it again replaces the one with this name."""

SUBJECT = "Tavus video {{ event.payload.video_id }} failed"
BODY = (
    "Tavus could not make video {{ event.payload.video_id }} "
    "({{ event.resource.get('prefect.resource.name', 'unnamed') }}, flow run "
    "{{ flow_run.name if flow_run else 'none' }}): "
    "{{ event.payload.status_details or event.payload.status }}"
)
"""Jinja templates Prefect renders per event (``event``, ``flow_run`` from its related)."""


def video_failed_automation(notify_block_id: UUID) -> Automation:
    """The automation: on each ``tavus.video.failed``, notify through ``notify_block_id``."""
    return Automation(
        name=AUTOMATION_NAME,
        description="Notify when a Tavus video fails (error from Tavus, or deleted).",
        trigger=EventTrigger(
            expect={VIDEO_FAILED},
            match={"prefect.resource.id": "tavus.video.*"},
            posture=Posture.Reactive,
            threshold=1,
            within=timedelta(0),
        ),
        actions=[SendNotification(block_document_id=notify_block_id, subject=SUBJECT, body=BODY)],
    )


def ensure_video_failed_automation(notify_block: str = ALERTS_BLOCK) -> Automation:
    """Create (or replace) the automation, sending to the saved block named ``notify_block``.

    ``notify_block`` is a block name, or ``<block type slug>/<name>`` when several block
    types share the name.
    """
    with get_client(sync_client=True) as client:
        slug, _, name = notify_block.rpartition("/")
        documents = [
            doc
            for doc in client.read_block_documents()
            if doc.name == name and (not slug or doc.block_type.slug == slug)  # type: ignore[union-attr]
        ]
        if len(documents) != 1:
            raise ValueError(
                f"--notify-block {notify_block!r}: expected one saved notification block "
                f"of that name, found {len(documents)}"
            )
        for existing in client.read_automations_by_name(AUTOMATION_NAME):
            client.delete_automation(existing.id)
    automation = video_failed_automation(documents[0].id)
    automation.create()  # sets automation.id
    return automation


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m deployments.automations [--notify-block NAME]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--notify-block",
        default=ALERTS_BLOCK,
        help=f"saved notification block to send to (default {ALERTS_BLOCK})",
    )
    args = parser.parse_args(argv)
    automation = ensure_video_failed_automation(args.notify_block)
    print(
        f"Automation {automation.name!r} ({automation.id}): on {VIDEO_FAILED} -> notify "
        f"{args.notify_block!r}"
    )


if __name__ == "__main__":
    main()

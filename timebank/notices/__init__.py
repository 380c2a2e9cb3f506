"""Notices to people: queued in the act's transaction, delivered after commit with retries, and
shown in the person's in-app inbox. ``notify`` queues, ``deliver_due`` sends, ``Notifier`` is
the one interface to the outside (development log, HTTPS webhook, SMS provider)."""

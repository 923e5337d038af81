"""The notification outbox and its channels.

* :mod:`.messages` — what each notification says, in Chinese or English.
* :mod:`.channels` — the adapters: e-mail (SMTP, standard library), the WeCom group robot webhook, an SMS adapter
  interface for Aliyun/Tencent (no default provider). In-app needs none: the notification row is the message.
* :mod:`.outbox` — delivering the pending outbox rows with retries, backoff and each robot's rate limit, recording
  every attempt.

The rows themselves are written by ``services.notifications`` in the transaction of the event that causes them;
the Huey task ``deliver_notifications`` (``bridgefund.jobs.tasks``, every minute) calls :func:`outbox.deliver_due`.
"""

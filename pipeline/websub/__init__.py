"""WebSub push: subscribe to a feed's hub, receive its pushes, wake the processing.

    discovery      which hub pushes a feed, and under which topic URL
    signatures     X-Hub-Signature HMACs of pushed bodies
    intent         verification of intent: confirm only what we asked for
    leases         when a subscription ends and when to renew it
    subscriptions  what a request, a verification and a push record (statements: `pipeline.store.websub`)
    subscriber     subscribe, unsubscribe, renew (requests to the hub)
    receiver       the callback web app: verifications and pushes
    notify         the Redis wake-up message for the `push_ingest` DAG

Heavy modules (the web app, Redis) are imported by whoever needs them, not here.
"""

"""The broker's queues: the default one, and one for the codes a person is waiting for (the SMS at login), so that
a backlog of letters or requests never delays them. The worker routes to them; the operations page counts them."""

DEFAULT_QUEUE = "celery"
CODES_QUEUE = "codes"
ROUTES = {"sms.send": CODES_QUEUE}  # task name -> its queue; every other task goes to DEFAULT_QUEUE


def names() -> list[str]:
    return sorted({DEFAULT_QUEUE, *ROUTES.values()})

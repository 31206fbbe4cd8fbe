"""The broker's queues: the default one, and one for the codes a person is waiting for (the SMS at login), so that
a backlog of letters or requests never delays them. The worker routes to them; the operations page counts them."""

DEFAULT_QUEUE = "celery"
CODES_QUEUE = "codes"

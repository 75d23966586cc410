"""What a process loaded to start lives as long as the process: out of the collector's sight.

A full collection walks every tracked object. Left in sight, the 200,000 or so objects of a
started Django process were walked again each time, about 90 ms with the process stopped (a web
process), or a tenth of a sync's CPU (a worker mapping a page of a thousand ERP records makes
enough objects to set collections off all the time)."""

import gc


def freeze_startup_heap() -> None:
    """Once a process that will not fork has loaded what it needs."""
    gc.collect()  # what loading left behind is garbage, not something to keep for good
    gc.freeze()


def freeze_before_fork() -> None:
    """In a parent about to fork a child (Celery's prefork pool), as Python's documentation of
    ``gc.freeze`` advises: what the child inherits stays frozen, so the child's collections
    never write to the pages it shares with the parent (copy-on-write would give each child its
    own copy). Collected the first time only: once children share the parent's pages, a
    collection in the parent would copy them."""
    if gc.get_freeze_count() == 0:
        gc.collect()
    gc.freeze()

"""What a process loaded to start lives as long as the process: out of the collector's sight.

A full collection walks every tracked object. Left in sight, the 200,000 or so objects of a
started Django process were walked again each time, about 90 ms with the process stopped (a web
process), or a tenth of a sync's CPU (a worker mapping a page of a thousand ERP records makes
enough objects to set collections off all the time)."""

import gc


def freeze_startup_heap() -> None:
    gc.collect()  # what loading left behind is garbage, not something to keep for good
    gc.freeze()

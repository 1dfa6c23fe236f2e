"""How often one visitor may do a thing: a sliding window of recent times, kept in that visitor's session.

One student pressing Save in a loop, or guessing the teacher key, must not fill the class's store or
find the key; a real person saves a digit every few seconds at most, and types a key a few times.
"""

import time
from collections import deque


class RateLimit:
    """At most `count` events in any `seconds`-long window."""

    def __init__(self, count: int, seconds: float, clock=time.monotonic):
        self.count, self.seconds, self.clock = count, seconds, clock
        self._times: deque[float] = deque()

    def allow(self) -> bool:
        """Records an event and returns True, or returns False (recording nothing) if the window is full."""
        now = self.clock()
        while self._times and now - self._times[0] >= self.seconds:
            self._times.popleft()
        if len(self._times) >= self.count:
            return False
        self._times.append(now)
        return True

    def wait_seconds(self) -> int:
        """Whole seconds until the next event will be allowed (0 if it is now)."""
        if len(self._times) < self.count:
            return 0
        return max(0, int(-(-(self._times[0] + self.seconds - self.clock()) // 1)))

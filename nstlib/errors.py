"""The one exception type nstlib raises for a learner's mistake.

Everything a student can get wrong (a missing file, a photo that is not an image, a size that is
not divisible by 4, a checkpoint from another architecture) is reported as ``NstlibError`` with a
message that names the culprit and says what to do. The CLI prints the message without a traceback.
"""

from __future__ import annotations


class NstlibError(ValueError):
    """A clear, actionable error about the caller's input (file, argument, checkpoint)."""

"""Pure check functions: facts and limits in, ``Finding`` records out.

A check never sees a Pillow image or a pymediainfo track, and never knows which platform it
serves: the engine fills in platform, path, severity and source.
"""

from mediarules.checks.finding import Finding

__all__ = ["Finding"]

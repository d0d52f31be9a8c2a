"""The null backend: no device, a manual clock. Tests and offline work drive the engine with it.

Same callback code as live; the caller decides how many frames pass and what the input is.
"""

from __future__ import annotations

import numpy as np

from studio.audio.engine import Engine


class NullBackend:
    def __init__(self, engine: Engine, blocksize: int = 128) -> None:
        self.engine = engine
        self.blocksize = blocksize
        self.frames_done = 0
        self._out = np.zeros((blocksize, engine.output_channels), dtype=np.float32)

    def run(self, frames: int, source: np.ndarray | None = None) -> np.ndarray:
        """Advance the clock by ``frames``; ``source`` (frames, inputs) is the input signal.

        Returns everything the engine put out, shape (frames, outputs)."""
        eng = self.engine
        result = np.zeros((frames, eng.output_channels), dtype=np.float32)
        inputs = max(eng.input_channels, 1)
        if source is None:
            source = np.zeros((frames, inputs), dtype=np.float32)
        done = 0
        while done < frames:
            n = min(self.blocksize, frames - done)
            block = np.ascontiguousarray(source[done : done + n], dtype=np.float32)
            eng.process_rt(block, self._out[:n], n)
            result[done : done + n] = self._out[:n]
            done += n
        self.frames_done += frames
        return result

    def step(self, source_block: np.ndarray | None = None) -> np.ndarray:
        """One block, without allocating (for allocation tests): returns the output view."""
        n = self.blocksize
        block = source_block if source_block is not None else None
        self.engine.process_rt(block, self._out, n)
        self.frames_done += n
        return self._out

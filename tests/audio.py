"""Speech for the voice tests and benchmark: espeak-ng, made into a Twilio-like recording."""

from __future__ import annotations

import subprocess
from pathlib import Path


def phone_recording(text: str, path: Path, *, speed: int = 150) -> Path:
    """espeak-ng speech resampled to 8 kHz mono 16-bit PCM, like a Twilio call recording.

    `sox -D`: no dither, so the same text gives the same bytes and the same transcript on
    every run (dither noise made Whisper hear "456" one run and "4-5-6" the next).
    """
    wide = path.with_suffix(".22k.wav")
    subprocess.run(
        ["espeak-ng", "-v", "en-us", "-s", str(speed), "-w", str(wide), text], check=True
    )
    subprocess.run(
        ["sox", "-D", str(wide), "-r", "8000", "-c", "1", "-b", "16", str(path)], check=True
    )
    return path

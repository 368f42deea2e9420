"""Benchmark: local transcription speed (real-time factor) of a phone-quality clip on this CPU.

Run: python bench/voice.py [--runs 5] [--threads 0]. Needs espeak-ng and sox (Debian packages).
RTF = seconds spent transcribing / seconds of audio; below 1 is faster than real time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from channels.twilio.transcribe import Transcriber  # noqa: E402
from tests.audio import phone_recording  # noqa: E402

SPEECH = (
    "Hi, this is Maria calling about order number four five six. The parcel was marked as "
    "delivered yesterday, but nothing arrived. Could someone please check where it is?"
)


def phone_clip(folder: Path) -> Path:
    return phone_recording(SPEECH, folder / "clip8k.wav", speed=160)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=0, help="CPU threads (0 = default)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        clip = phone_clip(folder)
        data_dir = Path(os.environ.get("AUTOCRM_DATA_DIR", folder / "data"))
        transcriber = Transcriber(data_dir=data_dir, cpu_threads=args.threads)
        started = time.perf_counter()
        transcriber.model()
        load = time.perf_counter() - started
        results = [transcriber.transcribe(clip) for _ in range(args.runs + 1)][1:]  # 1 warm-up
    taken = [r.seconds_taken for r in results]
    duration = results[0].duration
    print(f"cpu cores: {os.cpu_count()}  threads: {args.threads or 'default'}")
    print(f"model load (incl. first join if needed): {load:.2f} s")
    print(f"audio: {duration:.2f} s, 8 kHz mono; runs: {args.runs}")
    spread = f"min {min(taken):.3f} s, max {max(taken):.3f} s"
    print(f"transcribe: median {statistics.median(taken):.3f} s, {spread}")
    rtf = statistics.median(taken) / duration
    print(f"real-time factor: median {rtf:.3f}, best {min(taken) / duration:.3f}")
    print(f"text: {results[0].text!r}")


if __name__ == "__main__":
    main()

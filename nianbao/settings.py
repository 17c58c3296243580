"""All tunable settings in one typed object with defaults (like pdfplumber's table settings).

Stages receive the part they need; nothing reads module-level constants.
Environment variables ``NIANBAO_<FIELD>`` override defaults (e.g. ``NIANBAO_OCR_ENGINE=paddle``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from nianbao.layout.structure import StructureParams


class LayoutSettings(BaseModel):
    render_dpi: int = 200  # dpi for rendering PDF pages that are not one embedded scan
    max_scan_dpi: int = 300  # embedded scans above this are downsampled to it
    min_line_length_frac: float = 0.03  # ruling line min length, as a fraction of page width
    min_piece_frac: float = 0.3  # shortest dash of a broken ruling line kept, in character heights
    wall_cover: float = 0.3  # share of a cell side its line's dashes must cover for the side to be there
    deskew_max_angle: float = 5.0  # degrees
    detect_orientation: bool = True
    debug_dir: str | None = None  # where stages write debug images, if set


class StructureSettings(StructureParams):
    """Table structure from the words of each table region, ruling lines as evidence
    (``layout.structure``): off by default until it is better everywhere."""

    word_reading: bool = False  # read every table region's words and arbitrate against the line grid
    det_max_side: int = 960  # long side (pixels) the word detector sees a table region at


class OcrSettings(BaseModel):
    engine: Literal["rapidocr", "paddle"] = "rapidocr"
    threads: int = 2  # onnxruntime intra-op threads
    use_gpu: bool = False
    second_look: bool = True  # re-read unsure numeric cells with a different crop
    # text outside tables on scans: "full" reads every line (~4 s per page of prose on 2 cores);
    # "heads" reads short lines (titles, headings, paragraph ends) whole, the first head_chars of
    # indented paragraph starts (text then ends in "…"), and skips full-width continuation lines
    body_text: Literal["full", "heads"] = "heads"
    head_chars: int = 12


class AssemblySettings(BaseModel):
    min_label_score: float = 0.45  # label similarity below this does not count as a label match
    max_count_mismatch: int = 2  # values missing/extra in a row that the rules may resolve


class ConfidenceSettings(BaseModel):
    failed_rule_factor: float = 0.5  # multiply confidence of cells in a broken rule
    derived_confidence: float = 0.55  # cells whose value was inferred from the rules
    lookalike_factor: float = 0.85  # O→0, l→1 substitutions
    confirmed_floor: float = 0.97  # read cells confirmed by two rules (their row and their column)
    single_rule_floor: float = 0.92  # read cells confirmed by the one rule they are in (reviews groups)
    unconfirmed_ocr_cap: float = 0.89  # OCR'd numbers no rule confirms: raw OCR scores are not calibrated
    min_base_to_confirm: float = 0.5  # a reading this unsure is not lifted by arithmetic
    lone_stroke_cap: float = 0.8  # OCR'd "1" alone in a cell no rule confirms: "/" and "1" look alike
    signed_ocr_cap: float = 0.85  # OCR'd 本年增/减: a lost minus sign reads as a valid number
    silent_threshold: float = 0.9  # confidence at which a wrong value counts as a silent error
    text_agreement_weight: float = 0.5  # a cell the body text agrees with closes this share of its gap to 1


class Limits(BaseModel):
    max_pages: int = 200
    max_file_mb: int = 200
    max_page_pixels: int = 60_000_000
    # server uploads (nianbao serve): whole request, and the zip-bomb guards for zip uploads
    max_upload_mb: int = 500
    max_zip_members: int = 2000
    max_zip_uncompressed_mb: int = 2000
    max_zip_ratio: int = 200  # uncompressed/compressed size of one member (above 1 MiB)
    # wall-clock limit for parsing one file (batch workers and server workers): past it the
    # worker is killed and the file fails with a clear reason; the batch or queue goes on
    parse_timeout_s: float = 600.0


class Settings(BaseSettings):
    """Every knob of the pipeline, with defaults that work offline on a 2-core CPU."""

    model_config = SettingsConfigDict(env_prefix="NIANBAO_", env_nested_delimiter="__")

    layout: LayoutSettings = Field(default_factory=LayoutSettings)
    structure: StructureSettings = Field(default_factory=StructureSettings)
    ocr: OcrSettings = Field(default_factory=OcrSettings)
    assembly: AssemblySettings = Field(default_factory=AssemblySettings)
    confidence: ConfidenceSettings = Field(default_factory=ConfidenceSettings)
    limits: Limits = Field(default_factory=Limits)

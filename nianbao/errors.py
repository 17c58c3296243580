"""Errors that name the file and the reason, for bad input (never a traceback for users)."""

from __future__ import annotations


class NianbaoError(Exception):
    """Base class of errors the CLI, batch and server report as one clear line."""

    exit_code = 1


class InputFileError(NianbaoError):
    """The file cannot be read as a document: missing, empty, corrupt, encrypted, too large."""

    exit_code = 2

    def __init__(self, path: str, reason: str):
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class NotAReportError(NianbaoError):
    """The document was read but holds none of the standard tables."""

    exit_code = 3

    def __init__(self, path: str, reason: str = "not a 政府信息公开工作年度报告: none of the standard tables was found"):
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class EngineUnavailableError(NianbaoError):
    """An optional engine (PaddleOCR, GPU) was asked for but cannot run here; says what is missing."""

    exit_code = 4


class UsageError(NianbaoError):
    """The command was asked for something it cannot do (options that contradict each other,
    an unknown template version, a page that does not exist); says what would work."""

    exit_code = 1

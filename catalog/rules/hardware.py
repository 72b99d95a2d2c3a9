"""Training compute from hardware: accelerators x peak FLOP/s x time x utilization.

A second estimation method beside 6·N·D, always labelled as an estimate. Peak throughputs are
dense (no sparsity) 16-bit tensor FLOP/s per chip from the vendors' own datasheets; matching is
by a case-insensitive pattern on the `hardware` fact (e.g. "A100-80GB", "TPU v4").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Utilization assumed when a source reports none (model FLOP utilization of large dense runs
#: commonly reported between 0.3 and 0.5, e.g. PaLM 46.2% MFU, arXiv 2204.02311 Table 3).
DEFAULT_UTILIZATION = 0.4


@dataclass(frozen=True)
class Accelerator:
    """A chip family: its peak dense 16-bit FLOP/s and the datasheet that states it."""

    name: str
    pattern: str
    peak_flop_per_s: float
    source: str


ACCELERATORS: tuple[Accelerator, ...] = (
    Accelerator("NVIDIA H100 SXM", r"\bh100\b", 989e12,
                "https://resources.nvidia.com/en-us-tensor-core/nvidia-tensor-core-gpu-datasheet"),
    Accelerator("NVIDIA H800 SXM", r"\bh800\b", 989e12,
                "https://www.nvidia.com/en-us/data-center/h800/"),
    Accelerator("NVIDIA A100", r"\ba100\b", 312e12,
                "https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/a100/pdf/"
                "nvidia-a100-datasheet-us-nvidia-1758950-r4-web.pdf"),
    Accelerator("NVIDIA A800", r"\ba800\b", 312e12,
                "https://www.nvidia.com/en-us/data-center/a800/"),
    Accelerator("NVIDIA V100", r"\bv100\b", 125e12,
                "https://images.nvidia.com/content/technologies/volta/pdf/volta-v100-datasheet-update-us-1165301-r5.pdf"),
    Accelerator("Google TPU v5p", r"tpu\s*-?v5p", 459e12, "https://cloud.google.com/tpu/docs/v5p"),
    Accelerator("Google TPU v5e", r"tpu\s*-?v5e", 197e12, "https://cloud.google.com/tpu/docs/v5e"),
    Accelerator("Google TPU v4", r"tpu\s*-?v4", 275e12, "https://cloud.google.com/tpu/docs/v4"),
    Accelerator("Google TPU v3", r"tpu\s*-?v3", 123e12, "https://cloud.google.com/tpu/docs/v3"),
)


def accelerator(hardware: str | None) -> Accelerator | None:
    """The accelerator a `hardware` text names, or None when unknown."""
    if not hardware:
        return None
    low = hardware.lower()
    for chip in ACCELERATORS:
        if re.search(chip.pattern, low):
            return chip
    return None


def hardware_compute(hardware: str | None, accelerator_hours: float | None = None, count: int | None = None,
                     days: float | None = None, mfu: float | None = None) -> tuple[float, str] | None:
    """(FLOP, method) from accelerator-hours (or count x days), peak FLOP/s and utilization.

    Uses the reported MFU when given, else DEFAULT_UTILIZATION, and says which in the method.
    None when the chip or the time is unknown.
    """
    chip = accelerator(hardware)
    if chip is None:
        return None
    if accelerator_hours is None and count and days:
        accelerator_hours = count * days * 24
    if not accelerator_hours:
        return None
    utilization = mfu if mfu else DEFAULT_UTILIZATION
    flop = accelerator_hours * 3600 * chip.peak_flop_per_s * utilization
    how = "reported MFU" if mfu else "assumed utilization"
    method = (f"hardware: {accelerator_hours:.3g} {chip.name}-hours x {chip.peak_flop_per_s:.3g} FLOP/s peak x "
              f"{utilization:g} ({how})")
    return flop, method

"""Fargate task sizes and CloudWatch Logs retention values: the legal values the models check against.

Sizes are in CPU units (1024 = 1 vCPU) and MiB, as ECS task definitions take them.
"""

from __future__ import annotations

# task cpu -> the memory values Fargate accepts with it (AWS "Task CPU and memory" table).
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}

FARGATE_CPU: tuple[int, ...] = tuple(FARGATE_SIZES)

# Values CloudWatch Logs accepts for a log group's retention in days.
LOG_RETENTION_DAYS: tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip


def _ranges(values: tuple[int, ...]) -> str:
    """`512, 1024, 2048` or `2048-8192 in steps of 1024` for a long arithmetic run."""
    if len(values) <= 4:
        return ", ".join(str(v) for v in values)
    step = values[1] - values[0]
    return f"{values[0]}-{values[-1]} in steps of {step}"


def check_size(cpu: int, memory: int) -> str | None:
    """None when `cpu`/`memory` is a valid Fargate task size; otherwise what is wrong and the legal values."""
    if cpu not in FARGATE_SIZES:
        return f"cpu {cpu} is not a Fargate size; use one of {', '.join(str(c) for c in FARGATE_CPU)}"
    if memory not in FARGATE_SIZES[cpu]:
        legal = _ranges(FARGATE_SIZES[cpu])
        return f"memory {memory} does not fit cpu {cpu} on Fargate; with cpu {cpu} use memory {legal}"
    return None


def legal_sizes() -> str:
    """Every legal cpu/memory pair, one clause per cpu value, for error messages and docs."""
    return "; ".join(f"cpu {cpu}: memory {_ranges(mem)}" for cpu, mem in FARGATE_SIZES.items())

"""Data-parallel training over many processes (GPUs, machines), launched by ``torchrun``.

Data parallelism runs one copy of the training script per GPU. Each *rank* (process) holds the
whole model, trains on its own slice of every batch and, in each backward pass, **averages its
gradients with all the others** (an all-reduce). The ranks start from the same weights (DDP
copies rank 0's at start-up) and apply the same averaged gradient with the same optimiser, so
they stay identical, and ``N`` ranks with batch ``b`` each compute what one process computes with
batch ``N·b`` whenever the loss is a mean of per-sample terms (CycleGAN's are: its instance norm
works on each image alone).

``torchrun`` starts the processes and tells each who it is through environment variables:
``RANK`` (0 … WORLD_SIZE−1 over all machines), ``LOCAL_RANK`` (which GPU of this machine) and
``WORLD_SIZE``; ``MASTER_ADDR``/``MASTER_PORT`` say where rank 0 listens. Without them this module
reports a single process and nothing is set up. Backends: ``nccl`` between CUDA GPUs, ``gloo``
between CPU processes (how the tests run it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from nstlib.errors import NstlibError
from nstlib.runtime import resolve_device

BACKENDS = ("auto", "nccl", "gloo")


@dataclass(frozen=True)
class Processes:
    """Where this process stands: ``rank`` of ``world_size``, and the device it trains on."""

    rank: int
    world_size: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        """Rank 0 logs, draws the progress bar and writes the run folder; the others only train."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def setup(device: str | None = None, backend: str = "auto") -> Processes:
    """Join the process group ``torchrun`` prepared, or describe a single process.

    Args:
        device: ``"cpu"``, ``"cuda"``, ... (default: the best available). Under torchrun with
            CUDA, each rank takes GPU ``LOCAL_RANK``.
        backend: ``"nccl"``, ``"gloo"`` or ``"auto"`` (nccl for CUDA, gloo otherwise).
    """
    if backend not in BACKENDS:
        raise NstlibError(f"--backend {backend!r} is not one of {', '.join(BACKENDS)}.")
    chosen = resolve_device(device)
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size == 1:
        return Processes(0, 1, chosen)
    if chosen.type == "cuda":
        chosen = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(chosen)
    if backend == "auto":
        backend = "nccl" if chosen.type == "cuda" else "gloo"
    if backend == "nccl" and chosen.type != "cuda":
        raise NstlibError(
            f"--backend nccl needs CUDA GPUs; this run is on {chosen.type}. Use gloo."
        )
    if not dist.is_initialized():
        dist.init_process_group(backend)
    return Processes(dist.get_rank(), dist.get_world_size(), chosen)


def average(values: list[float], processes: Processes) -> list[float]:
    """The mean of ``values`` over all ranks (each rank passes its own; all get the mean)."""
    if not processes.distributed:
        return values
    tensor = torch.tensor(values, dtype=torch.float64, device=processes.device)
    dist.all_reduce(tensor)
    return (tensor / processes.world_size).tolist()


def barrier(processes: Processes) -> None:
    """Wait until every rank gets here (e.g. until rank 0 has written the run folder)."""
    if processes.distributed:
        dist.barrier()


def teardown(processes: Processes) -> None:
    """Leave the process group at the end of a distributed run."""
    if processes.distributed and dist.is_initialized():
        dist.destroy_process_group()

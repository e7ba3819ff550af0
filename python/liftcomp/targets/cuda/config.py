"""Hardware limits (checked by the dialect's verifiers) and cost-model parameters, all named.

Limits are CUDA's documented per-architecture numbers. Rates are the H100 SXM's as measured on
this project's card (docs/PERFORMANCE.md) where a measurement exists, the datasheet's otherwise;
`cost_model.refit` replaces the efficiency factors with values fitted to GPU tuning records.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ArchLimits:
    max_threads_per_block: int = 1024
    max_smem_per_block: int = 227 * 1024  # opt-in dynamic shared memory
    smem_per_sm: int = 228 * 1024
    max_regs_per_thread: int = 255
    regs_per_sm: int = 65536
    max_cluster: int = 8  # portable cluster size
    tma: bool = True
    wgmma: bool = True


ARCH_LIMITS: dict[str, ArchLimits] = {
    "sm_90a": ArchLimits(),
    "sm_80": ArchLimits(max_smem_per_block=163 * 1024, smem_per_sm=164 * 1024, max_cluster=1, tma=False,
                        wgmma=False),
}


@dataclass(frozen=True)
class CostParams:
    """The cost model's parameters (H100 SXM)."""

    sms: int = 132
    clock_ghz: float = 1.755  # boost clock under tensor-core load (datasheet: 1.98 max)
    # dense tensor-core peaks, TFLOP/s (int8: TOPS)
    peak_tflops: dict[str, float] = field(default_factory=lambda: {"bf16": 989.0, "f16": 989.0, "i8": 1979.0,
                                                                   "f32": 67.0})
    hbm_gbs: float = 3000.0  # measured device-to-device copy rate (read + write)
    l2_bytes: int = 50 * 1024 * 1024
    launch_us: float = 4.0  # launch + ramp of one kernel
    # fraction of peak a well-fed main loop reaches (wgmma with enough stages; mma.sync path)
    wgmma_efficiency: float = 0.85
    mma_sync_efficiency: float = 0.45
    simt_efficiency: float = 0.6
    hbm_efficiency: float = 0.9  # fraction of the copy rate a streaming kernel reaches
    stage_latency_tiles: float = 2.0  # K steps of copy latency the pipeline must hide
    epilogue_us_per_tile: float = 0.4  # epilogue of one output tile (store + fused ops)
    cluster_gain: float = 0.08  # speedup of a 2-CTA cluster (multicast halves one operand's L2 reads)


DEFAULT_PARAMS = CostParams()


@dataclass(frozen=True)
class CudaConfig:
    """A named CUDA configuration: the architecture code is emitted for, and the model's parameters."""

    name: str = "h100"
    arch: str = "sm_90a"
    params: CostParams = DEFAULT_PARAMS
    evaluate: str = "model"  # model: interpreter + cost model; gpu: build and time on this machine's GPU

    def to_json(self) -> dict[str, object]:
        from dataclasses import asdict

        return {"name": self.name, "arch": self.arch, "params": asdict(self.params), "evaluate": self.evaluate}


CONFIGS: dict[str, CudaConfig] = {
    "default": CudaConfig("default"),
    "h100": CudaConfig("h100"),
    "sm80": CudaConfig("sm80", arch="sm_80"),
}

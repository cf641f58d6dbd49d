using System.Globalization;
using System.Runtime.Intrinsics.X86;
using Mnist.Core.Model;

namespace Mnist.Bench;

/// <summary>What the machine can do at most, and what the model asks of it.</summary>
public sealed record Machine(string Cpu, int Cores, double GHz, int Fp32FlopsPerCycle)
{
    /// <summary>Peak fp32 FLOP/s: cores x (FMA units x SIMD lanes x 2) x frequency.</summary>
    public double PeakFlops => Cores * Fp32FlopsPerCycle * GHz * 1e9;

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{Cpu}, {Cores} cores at {GHz:0.00} GHz, {(Avx512F.IsSupported ? "AVX-512" : Avx2.IsSupported ? "AVX2" : "SSE")} + FMA: peak {PeakFlops / 1e9:0} GFLOP/s fp32");

    public static Machine Detect()
    {
        var cpu = "unknown CPU";
        var vendor = "";
        var family = 0;
        var model = -1;
        double mhz = 0;
        if (File.Exists("/proc/cpuinfo"))
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon < 0) continue;
                var key = line[..colon].Trim();
                var value = line[(colon + 1)..].Trim();
                if (key == "model name" && cpu == "unknown CPU") cpu = value;
                if (key == "cpu MHz" && mhz == 0) double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out mhz);
                if (key == "vendor_id" && vendor.Length == 0) vendor = value;
                if (key == "cpu family" && family == 0) int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out family);
                if (key == "model" && model < 0 && !int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out model)) model = -1;
            }
        }
        var perCycle = FlopsPerCycle(vendor, family, Math.Max(model, 0), Avx512F.IsSupported, Avx2.IsSupported, Fma.IsSupported);
        return new Machine(cpu, Environment.ProcessorCount, mhz > 0 ? mhz / 1000 : 2.0, perCycle);
    }

    /// <summary>
    /// fp32 FLOPs per cycle and core = FMA pipes x lanes x 2 (multiply and add). Two FMA pipes on
    /// the x86 server cores this runs on (Zen 1 to Zen 5, Intel since Haswell); lanes: 16 fp32 for
    /// AVX-512, 8 for AVX2, as wide as the pipes allow. AMD's Zen 1 and Zen+ (family 23, models
    /// below 0x30) have 128-bit pipes: an AVX2 instruction runs as two halves, 4 lanes. Zen 2
    /// (family 23 from model 0x30), Zen 3 and Zen 4 (family 25) have 256-bit pipes: Zen 4 runs an
    /// AVX-512 instruction as two halves, so its peak is the AVX2 one. Zen 5 (family 26) has full
    /// 512-bit pipes.
    /// </summary>
    public static int FlopsPerCycle(string vendor, int family, int model, bool avx512, bool avx2, bool fma)
    {
        var lanes = avx512 ? 16 : avx2 ? 8 : 4;
        if (vendor == "AuthenticAMD" && family < 26) lanes = Math.Min(lanes, 8);
        if (vendor == "AuthenticAMD" && (family < 23 || (family == 23 && model < 0x30))) lanes = Math.Min(lanes, 4);
        return (fma ? 2 : 1) * lanes * 2;
    }

    /// <summary>
    /// Multiply-adds of one forward pass, from the layer shapes: a convolution does (its weights)
    /// per output position, a dense layer its weights once. FLOPs = 2 x MACs.
    /// </summary>
    public static double ForwardFlops(ModelConfig config)
    {
        double macs = 0;
        foreach (var layer in ModelSummary.For(config).Layers)
        {
            if (layer.Type == "Conv2d")
            {
                var channels = layer.OutputShape[0];
                var weights = layer.Params - channels;
                macs += weights * layer.OutputShape[1] * layer.OutputShape[2];
            }
            else if (layer.Type == "Linear")
            {
                macs += layer.Params - layer.OutputShape[0];
            }
        }
        return 2 * macs;
    }

    /// <summary>A training step costs about three forward passes (the backward pass computes two gradients per layer).</summary>
    public static double TrainFlops(ModelConfig config) => 3 * ForwardFlops(config);
}

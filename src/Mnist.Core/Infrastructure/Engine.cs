using TorchSharp;
using static TorchSharp.torch;

namespace Mnist.Core.Infrastructure;

/// <summary>Process-wide engine settings: the compute device and libtorch's thread count.</summary>
public static class Engine
{
    /// <summary>Sets the intra-op thread count (default: all cores) and returns the device for "cpu", "cuda" or "auto".</summary>
    public static Device Configure(int? threads, string device)
    {
        if (threads is { } t)
        {
            SettingException.Check(t >= 1, "threads", t, "must be at least 1");
            torch.set_num_threads(t);
        }
        return ResolveDevice(device);
    }

    public static Device ResolveDevice(string device) => device.ToLowerInvariant() switch
    {
        "cpu" => CPU,
        "cuda" when cuda.is_available() => CUDA,
        "cuda" => throw new SettingException("device", device,
            "CUDA is not available. This build references the CPU libtorch package; build with " +
            "-p:LibTorchPackage=libtorch-cuda-12.8-linux-x64 (see Directory.Packages.props) on a machine with an NVIDIA GPU"),
        "auto" => cuda.is_available() ? CUDA : CPU,
        _ => throw new SettingException("device", device, "expected cpu, cuda or auto"),
    };
}

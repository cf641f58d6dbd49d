using TorchSharp;
using static TorchSharp.torch;

namespace Mnist.Core.Infrastructure;

/// <summary>The compute device asked for, by its name (<see cref="Choice"/>): <c>cpu</c>, <c>cuda</c> or <c>auto</c>.</summary>
public enum DeviceKind
{
    /// <summary>The CPU.</summary>
    Cpu,

    /// <summary>The GPU; an error where CUDA is not available.</summary>
    Cuda,

    /// <summary>The GPU where CUDA is available, else the CPU.</summary>
    Auto,
}

/// <summary>Process-wide engine settings: the compute device and libtorch's thread count.</summary>
public static class Engine
{
    /// <summary>Sets the intra-op thread count (default: all cores) and returns the device <paramref name="device"/> stands for.</summary>
    public static Device Configure(int? threads, DeviceKind device)
    {
        if (threads is { } t)
        {
            SettingException.Check(t >= 1, "threads", t, "must be at least 1");
            torch.set_num_threads(t);
        }
        return ResolveDevice(device);
    }

    public static Device ResolveDevice(DeviceKind device) => device switch
    {
        DeviceKind.Cpu => CPU,
        DeviceKind.Cuda when cuda.is_available() => CUDA,
        DeviceKind.Cuda => throw new SettingException("device", Choice.Name(device),
            "CUDA is not available. This build references the CPU libtorch package; build with " +
            "-p:LibTorchPackage=libtorch-cuda-12.8-linux-x64 (see Directory.Packages.props) on a machine with an NVIDIA GPU"),
        DeviceKind.Auto => cuda.is_available() ? CUDA : CPU,
        _ => throw new SettingException("device", device, Choice.Expected<DeviceKind>()),
    };
}

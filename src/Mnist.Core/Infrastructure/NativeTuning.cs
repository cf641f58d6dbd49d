using System.Runtime.InteropServices;

namespace Mnist.Core.Infrastructure;

/// <summary>
/// Process settings that must be in place before libtorch allocates or logs: each entry point
/// (the CLI, the bench, the test assemblies) calls <see cref="Apply"/> first; a library call
/// never changes them.
/// <para>
/// glibc's malloc returns every block over its mmap threshold to the kernel on free, and
/// trims the heap top eagerly, so each training step's 12 MB activations were page-faulted in
/// afresh, which made a training step of the seed model about twice as slow (bench/results.md,
/// *What was made faster*). Raising the mmap
/// threshold to its maximum (32 MiB) and the trim threshold keeps freed blocks for reuse.
/// </para>
/// <para>libtorch's "Could not initialize NNPACK! Reason: Unsupported hardware" warning is
/// silenced by TORCH_CPP_LOG_LEVEL=ERROR unless the user set that variable.</para>
/// </summary>
public static class NativeTuning
{
    private const int M_TRIM_THRESHOLD = -1;
    private const int M_TOP_PAD = -2;
    private const int M_MMAP_THRESHOLD = -3;

    private static readonly Lock Gate = new();
    private static bool _applied;

    public static bool MallocTuned { get; private set; }

    /// <summary>Applies the settings once per process (later calls do nothing); call it before anything touches libtorch.</summary>
    public static void Apply()
    {
        lock (Gate)
        {
            if (_applied) return;
            _applied = true;
            ApplyOnce();
        }
    }

    private static void ApplyOnce()
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            if (Environment.GetEnvironmentVariable("TORCH_CPP_LOG_LEVEL") is null) _ = setenv("TORCH_CPP_LOG_LEVEL", "ERROR", 0);
            if (Environment.GetEnvironmentVariable("MNIST_NO_MALLOC_TUNING") is null)
            {
                MallocTuned = mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024) == 1
                              & mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024) == 1
                              & mallopt(M_TOP_PAD, 64 * 1024 * 1024) == 1;
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc (musl, say): nothing to tune.
        }
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int mallopt(int param, int value);

    [DllImport("libc", EntryPoint = "setenv", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int setenv(string name, string value, int overwrite);
}

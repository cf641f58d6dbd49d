using System.Runtime.CompilerServices;

namespace Mnist.Tests;

/// <summary>A test assembly is an entry point: it makes the process-wide settings before any test touches libtorch.</summary>
internal static class NativeSetup
{
#pragma warning disable CA2255 // The test host has no Main of ours: a module initializer is the test assembly's entry point.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Apply() => Mnist.Core.Infrastructure.NativeTuning.Apply();
}

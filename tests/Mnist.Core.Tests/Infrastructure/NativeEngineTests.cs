using Mnist.Core.Infrastructure;
using TorchSharp;
using static TorchSharp.torch;

namespace Mnist.Core.Tests.Infrastructure;

public sealed class NativeEngineTests
{
    [Fact]
    public void Given_the_built_output_When_libtorch_is_loaded_Then_it_computes_a_matrix_product()
    {
        using var a = tensor(new float[] { 1, 2, 3, 4 }, [2, 2]);
        using var b = tensor(new float[] { 5, 6, 7, 8 }, [2, 2]);

        using var c = a.matmul(b);

        Assert.Equal(new float[] { 19, 22, 43, 50 }, c.data<float>().ToArray());
    }

    [Fact]
    public void Given_the_built_output_When_a_convolution_runs_backward_Then_gradients_flow()
    {
        using var conv = nn.Conv2d(1, 2, 3);
        using var x = ones(1, 1, 5, 5);

        conv.forward(x).sum().backward();

        // Each of the 18 weights sees the input (all ones) at the 9 output positions.
        Assert.Equal(18 * 9f, conv.weight!.grad!.sum().item<float>(), 3);
    }

    [Fact]
    public void Given_linux_glibc_When_core_loads_Then_the_malloc_tuning_took_effect()
    {
        if (!OperatingSystem.IsLinux()) return;

        Assert.True(NativeTuning.MallocTuned);
    }

    [Fact]
    public void Given_the_cpu_package_When_asking_for_cuda_Then_the_error_says_how_to_get_it()
    {
        if (cuda.is_available()) return;

        var e = Assert.Throws<SettingException>(() => Engine.ResolveDevice(DeviceKind.Cuda));

        Assert.Equal("device", e.Setting);
        Assert.StartsWith("device = cuda: ", e.Message, StringComparison.Ordinal);
        Assert.Contains("LibTorchPackage", e.Message);
    }
}
